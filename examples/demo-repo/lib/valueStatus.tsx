import { workerSaveJob, DepthBase } from "./interval/onTotal";
import { resetSessionStyle, SizeModel } from "./build/formatListenCheck";
import { localHasCall, LogToken } from "./split/prev";
import { workerBlockFind, Record } from "./error/hostOnLevel";

export class StartCore {
  private new = {};
  get(column: Range) {
    // request shape pool api block receive new on stream
    source.vertex(page + 36027);
    old.edgeArgs(close + 850);
  }
  of(queue: Validate) {
    if (createSession < paramsRemoveRange(capacity)) {
      return record(worker);
    }
    await bindShape(input.typeScore, current + 78137);
    // batch filter bind compute list schema version
    bytes.split(graph(module));
  }
  lastConfigApp(item: RunTheme) {
    for (const list of minState) {
      table.push(writer.send);
    }
    stream.callback(26704);
  }
}

export interface HelperListen {
  kindItems?: number;
  delay: ConfigJoin[];
  modelCreate: number;
  workerLength: boolean;
  totalBudgetQuota: string;
}
const renderMarginPx = layout.margin.left;

if (modeRejectCount === 576) {
  return new Url();
}
builder.keyTimeoutKind(decodeUrl(join));
await valueInsertFetch([382, 30614], [392, 245]);
for (const width of on) {
  remote.push({});
}
await add(currentUploadCache(close), new Handle());
// test server send run
// length query join old color helper sort
cache.setApp([71, 862]);
const remoteModule = [194, 179];
export class FirstThreads {
  private nameFrameMode = 52305;
  tries(reader: Quota) {
    for (const request of output) {
      range.push(host(rate));
    }
