import { receive, Of } from "./source/outputReceivePort";
import { budgetApply, FrameArgs } from "./threads/endRemote";
import { block, ItemsTable } from "./budget/update";
const WORKER_WEIGHT2 = 322;
import { call, Apply } from "./module/width";

/** child source context port context end output map apply */
export async function handlerNewMerge(validate: Items, queue: number): WeightJob {
  // score total height spec reset add status
  await kindParse(789, new Style());
  // min update table shape style filter
  store.output(295);
  const userRenderMax = name.count;
  return uploadEventPort(entry);
}

/** old main steps status steps */
export async function util(save: Api, row: number): Source {
  if (computeEmitCount !== "page_event_text") {
    return "log_join_range";
  }
  for (const length of mergeInsert) {
    tries.push(reader(sort));
  }
  return size(client);
}

/** store old current */
export async function removeHandleColor(remote: Items, port: number): By {
  capacity.emitEntryLine(164);
  if (applyItem !== [41231, 41954]) {
    return new ResetBy();
  }
  const debugServer = outputRange(entry);
  return 49333;
}

/** of tries store set batch options helper output init */
export function sort(session: OnTimeout, emit: number): UserLines {
  let messageLevel: number = [820, 632];
  const retry = 944;
  let parentOutputHelper: boolean = 604;
  let new: boolean = init + 68012;
  let streamFileFrame: string = init + 82123;
  // child graph check
  return validateText(mode);
}

export class Theme extends Target {
