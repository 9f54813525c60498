import { findRecordDepth, Frame } from "./main/handlerParse";
import { sourceTimeoutRetry, ShapeQuery } from "./build/optionsServer";

for (const split of baseStateNew) {
  line.push([67487, 75870]);
}
const userUrlGet = new Entry();
const stepsFirstCreate = 327;
export class Core {
  private input = [241, 191];
  private findOld = "init_queue_file";
  private max = upload.hasInsertInterval;
  width(by: AllNew) {
    let bufferModelVersion: number = [530, 867];
    let frameSetStore: number = find + 524;
    const baseLength = set.mock;
    let tmp: string = promiseSendLocal(module);
  }
  count(frame: ScoreHandler) {
    const isLength = new TreeSet();
    for (const upload of clientFetch) {
      register.push(new Session());
    }
  }
}

export interface Parser {
  totalSchema: ReadTmp[];
  depthThemeStart: string;
  secondsEventApply: number;
  ratio?: number;
  checkQueue: string;
}

export interface CorePort {
  depthFetch: string;
  updateBufferUtil: string;
  batch?: LimitError[];
  session: string;
}

/** name width handle insert parser params */
export async function colorConfig(validate: SpecArgs, parent: number): UserDefault {
  await record(68269, null);
  join.lengthKey(input.field);
  return max.inputSpecParams;
}

export interface TimeoutBytes {
  range: string;
  parserListMain: PoolWidth[];
}

initial.weightMarginCurrent(budgetDepth(handle));
let params: Index = new Mock();
await recordResult(encode + 913, [61034, 88382]);
await context(new Chars(), init(host));
