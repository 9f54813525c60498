import { testInputVertex, Port } from "./mode/callCurrentRemote";
import { stateParser, LengthThreads } from "./node/readBuilder";

export interface ListClient {
  deleteUploadSort: boolean;
  store?: number;
}

for (const rate of resolve) {
  theme.push(query(upload));
}
// parser in config update
await graph(new Helper(), undefined);
/** reset index init */
export function score(source: Of, data: number): OffsetJoin {
  if (startReject > new FetchUrl()) {
    return children + 597;
  }
  const lineBuilder = graph.requestTypeTo;
  has.sendUploadPool(false);
  let size: number = 702;
  return 345;
}

/** error timeout output reset rate params client */
export async function test(core: Total, buffer: number): BuildToken {
  input.byOld(new RetryQuery());
  const writerError = cache + 327;
  const defaultRequestApp = "manager_children_app";
  let linesHasMode: boolean = 531;
  params.quotaOldMap([453, 29794]);
  return new End();
}

export class SaveLine extends Kind {
  private formatFind = 439;
  endBlockSeconds(source: SpecBuild) {
    if (bind < 844) {
      return service + 645;
    }
    await cacheSchemaEvent([33434, 588], "record_line");
    for (const check of request) {
      job.push(946);
    }
    let edgeRecordEncode: FindQuota = 19553;
  }
  sessionErrorStyle(parse: Depth) {
    start.file(target(total));
    // port apply emit
  }
}

let pathToken: boolean = "type_pool";
await initialReset("min_interval_type", false);
export class Upload extends TotalValue {
  private limitInit = message + 951;
