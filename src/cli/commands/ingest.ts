import {budgetOf, COMMON_OPTIONS, intOf, methodOf, parse, signalOf, UsageError} from "../options";
import {openEngine} from "../openEngine";
import {askJson, checkFolder, printSummary, progressPrinter, tolerance} from "./ask";

export const INGEST_HELP = `dynsplit ingest <dir> [options]
  Reads the workspace into a compressed KV cache, saves it in the persistent cache (so a later ask or the
  extension answers without re-reading) and prints the memory summary.`;

export async function ingestCommand(args: string[]) {
  const {values, positionals} = parse(args, COMMON_OPTIONS);
  if (values.help) return console.log(INGEST_HELP);
  const [dir] = positionals;
  if (!dir) throw new UsageError("ingest needs a folder: dynsplit ingest <dir>");
  const root = checkFolder(dir);
  const engine = await openEngine(values);
  try {
    const summary = await engine.ingest(
      {
        roots: [root],
        method: methodOf(values.method),
        budget: budgetOf(values.budget, values["budget-tokens"]),
        signal: signalOf(values.signal),
        useCache: !values["no-cache"],
        methodOptions: {blockSize: intOf("block-size", values["block-size"]), tolerance: tolerance(values.tolerance)},
      },
      {onProgress: values.json ? undefined : progressPrinter()}
    );
    if (values.json) {
      const {answer: _unused, ...rest} = askJson(summary, "", {prefillMs: 0, scoringMs: 0, evictMs: 0, decodeMs: 0});
      console.log(JSON.stringify({...rest, files: summary.files, skippedByReason: summary.skippedByReason, ingestMs: Math.round(summary.ingestMs)}, null, 2));
    } else {
      process.stderr.write("\n");
      printSummary(summary);
    }
  } finally {
    await engine.dispose();
  }
}
