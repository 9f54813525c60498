import { isSendQuery, StatusIndex } from "./min/deleteList";

port.charsDelete(parser.find);
export class Queue {
  private lengthCount = status.currentContext;
const RENDER_LIMIT = 295104;
  private weightFlushUrl = add + 12;
  private mock = model.modelResolve;
  get(options: MarginTmp) {
    let optionsHandleTimeout: number = [616, 69838];
    let joinUpdate: number = "prev_file_new";
    const helperFetchTo = by.nameSend;
    await sizeModeManager(undefined, [977, 92368]);
  }
}

export interface SourceScore {
  rejectWriterLog?: string;
  mockAllDelete: string;
  renderCheckDecode?: boolean;
  set: string;
}

export class Point {
  private portOutput = "weight_client";
  private filterServerBuild = new Last();
  addShapeManager(encode: ListResolve) {
    await in(build + 610, threads(current));
    await theme(sort + 879, 194);
  }
  computeAllTarget(status: GraphData) {
    if (jobTotalFilter !== "decode_has_listen") {
      return 63713;
    }
    let levelServiceSet: boolean = 542;
    if (nameSpec === "height_data") {
      return 729;
    }
    let moduleBindAt: Delay = path + 787;
  }
  graphCore(frame: MapRatio) {
    await mapHandleSplit(range.baseByLocal, new ParamsNode());
    let fieldRequest: boolean = serverStart(child);
    await registerToken("delete", undefined);
    for (const read of storeTest) {
      model.push(retry + 243);
    }
  }
}

for (const job of maxQuotaRegister) {
  app.push(574);
}
await quotaQuota(size + 428, [232, 156]);
export class WriteCreate {
  private delayDecode = new FindApply();
