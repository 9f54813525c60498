import {createInterface} from "node:readline";
import {checkFolder, COMMON_OPTIONS, ingestRequestOf, parse, UsageError} from "../options";
import {openEngine} from "../openEngine";
import {progressPrinter} from "../progress";
import {droppedTurnsNote, emptyAnswerNote, printSummary} from "../summaryOutput";

export const CHAT_HELP = `dynsplit chat <dir> [options]
  An interactive conversation over <dir> in the terminal: the folder is read once into the repository memory, then
  every line you type is a question that sees the earlier ones and their answers. Ctrl-C stops an answer; Ctrl-C
  at the prompt (or Ctrl-D) leaves. /new starts a new conversation.`;

export async function chatCommand(args: string[]) {
  const {values, positionals} = parse(args, COMMON_OPTIONS);
  if (values.help) return console.log(CHAT_HELP);
  const [dir] = positionals;
  if (!dir) throw new UsageError("chat needs a folder: dynsplit chat <dir>");
  const request = ingestRequestOf(values, checkFolder(dir));
  const engine = await openEngine(values);
  let rl: ReturnType<typeof createInterface> | undefined;
  let answering: AbortController | undefined;
  try {
    const progress = progressPrinter();
    const summary = await engine.ingest(request, {onProgress: progress});
    progress.end();
    printSummary(summary);
    // Created once the workspace is read: lines that arrive before (piped input) wait in stdin instead of being lost.
    const lines = createInterface({input: process.stdin, output: process.stdout, prompt: "> "});
    rl = lines;
    // Ctrl-C stops the answer being written; at the prompt it leaves.
    lines.on("SIGINT", () => {
      if (answering) answering.abort();
      else lines.close();
    });
    lines.prompt();
    for await (const line of lines) {
      const question = line.trim();
      if (question === "/new") {
        engine.setConversation([]);
        process.stdout.write("(a new conversation)\n");
      } else if (question) {
        answering = new AbortController();
        try {
          const a = await engine.ask(question, {conversation: true, signal: answering.signal, onText: (t) => process.stdout.write(t)});
          process.stdout.write(a.stoppedBy === "cancelled" ? " (stopped)\n" : "\n");
          const empty = emptyAnswerNote(a);
          if (empty) process.stderr.write(empty);
          if (a.turnsDropped) process.stderr.write(droppedTurnsNote(a.turnsDropped));
        } catch (err) {
          process.stderr.write(
            `${answering.signal.aborted ? "(stopped)" : `dynsplit: ${err instanceof Error ? err.message : String(err)}`}\n`
          );
        } finally {
          answering = undefined;
        }
      }
      lines.prompt();
    }
  } finally {
    rl?.close();
    await engine.dispose();
  }
}
