import {readFileSync} from "node:fs";
import {checkFolder, COMMON_OPTIONS, ingestRequestOf, parse, UsageError} from "../options";
import {openEngine} from "../openEngine";
import {progressPrinter} from "../progress";
import {
  answerJson,
  askJson,
  droppedTurnsNote,
  emptyAnswerNote,
  ingestJson,
  modelJson,
  printSummary,
  type AskJson,
  type AskQuestionsJson,
} from "../summaryOutput";

export const ASK_HELP = `dynsplit ask <dir> "<question>" [options]
dynsplit ask <dir> --questions <file> [options]
  Reads every text file of <dir> once into the repository memory (a persistent block store; an unchanged folder
  reads nothing the next time), then answers the question, or every line of <file>, each from the blocks of the
  whole folder that it selects. --answer-from reread re-reads the folder for each question (query-aware),
  --answer-from once compresses it once without the questions. --conversation asks the lines as one
  conversation (each sees the earlier questions and answers; the oldest leave when they fill half the budget);
  without it they are independent questions over the same workspace.`;

export async function askCommand(args: string[]) {
  const {values, positionals} = parse(args, {
    ...COMMON_OPTIONS,
    questions: {type: "string"},
    "show-prompt": {type: "boolean"},
    conversation: {type: "boolean"},
  });
  if (values.help) return console.log(ASK_HELP);
  const [dir, question] = positionals;
  if (!dir) throw new UsageError('ask needs a folder: dynsplit ask <dir> "<question>" or --questions <file>');
  if (question != null && values.questions) throw new UsageError("give either a question or --questions <file>, not both");
  const questions = values.questions ? readQuestions(values.questions) : question != null ? [question] : [];
  if (questions.length === 0) throw new UsageError('ask needs a question: dynsplit ask <dir> "<question>" or --questions <file>');
  const request = ingestRequestOf(values, checkFolder(dir));
  const engine = await openEngine(values);
  try {
    const progress = values.json ? undefined : progressPrinter();
    // reread: the first question steers the first read; the later ones re-read with their own.
    const summary = await engine.ingest(
      {...request, question: request.answerFrom === "reread" ? questions[0] : undefined},
      {onProgress: progress}
    );
    progress?.end();
    if (!values.json) printSummary(summary);
    const answers = [];
    for (const q of questions) {
      let streamed = "";
      if (!values.json && questions.length > 1) process.stdout.write(`${q}\n`);
      const a = await engine.ask(q, {
        showPrompt: values["show-prompt"],
        conversation: values.conversation,
        onText: values.json
          ? undefined
          : (t) => {
              streamed += t;
              process.stdout.write(t);
            },
      });
      if (!values.json) {
        if (a.turnsDropped) process.stderr.write(droppedTurnsNote(a.turnsDropped));
        if (a.prompt != null)
          process.stderr.write(`--- what the model read for this answer (special tokens visible) ---\n${a.prompt}\n---\n`);
        if (!streamed) process.stdout.write(a.answer);
        process.stdout.write("\n");
        const empty = emptyAnswerNote(a);
        if (empty) process.stderr.write(empty);
        if (questions.length > 1)
          process.stderr.write(
            `  (first token ${a.firstTokenMs?.toFixed(0) ?? "–"} ms · ${a.tokensKept} tokens · ${a.blocksSelected} blocks · ${a.signal})\n`
          );
      }
      answers.push(a);
    }
    if (values.json) {
      const model = modelJson(engine.modelInfo!);
      if (values.questions)
        console.log(
          JSON.stringify(
            {...model, ingest: ingestJson(summary), answers: answers.map((a, i) => answerJson(questions[i], a))} satisfies AskQuestionsJson,
            null,
            2
          )
        );
      else console.log(JSON.stringify({...model, ...askJson(summary, questions[0], answers[0])} satisfies AskJson, null, 2));
    }
  } finally {
    await engine.dispose();
  }
}

/** One question a line; blank lines and lines starting with # are skipped. */
function readQuestions(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UsageError(`cannot read the questions file: ${file}`);
  }
  const qs = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  if (qs.length === 0) throw new UsageError(`${file} holds no questions`);
  return qs;
}
