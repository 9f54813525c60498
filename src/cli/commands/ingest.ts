import {checkFolder, COMMON_OPTIONS, ingestRequestOf, parse, UsageError} from "../options";
import {openEngine} from "../openEngine";
import {progressPrinter} from "../progress";
import {ingestJson, printSummary} from "../summaryOutput";

export const INGEST_HELP = `dynsplit ingest <dir> [options]
  Reads the workspace into the repository memory (or, with --answer-from once|reread, a compressed KV cache in the
  persistent cache), so a later ask or the extension answers without re-reading, and prints the memory summary.`;

export async function ingestCommand(args: string[]) {
  const {values, positionals} = parse(args, COMMON_OPTIONS);
  if (values.help) return console.log(INGEST_HELP);
  const [dir] = positionals;
  if (!dir) throw new UsageError("ingest needs a folder: dynsplit ingest <dir>");
  const request = ingestRequestOf(values, checkFolder(dir));
  const engine = await openEngine(values);
  try {
    const progress = values.json ? undefined : progressPrinter();
    const summary = await engine.ingest(request, {onProgress: progress});
    progress?.end();
    if (values.json) console.log(JSON.stringify({...ingestJson(summary), tokensKept: summary.tokensKept}, null, 2));
    else printSummary(summary);
  } finally {
    await engine.dispose();
  }
}
