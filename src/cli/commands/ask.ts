import {existsSync, statSync} from "node:fs";
import path from "node:path";
import {formatBytes} from "../../core/kvMemory";
import type {IngestSummary} from "../../engine/engine";
import {budgetOf, COMMON_OPTIONS, intOf, methodOf, parse, signalOf, UsageError} from "../options";
import {openEngine} from "../openEngine";

export const ASK_HELP = `dynsplit ask <dir> "<question>" [options]
  Reads every text file of <dir> into a KV cache of the given budget (compressing as it goes, with the
  question as the observation window), then answers the question.`;

export async function askCommand(args: string[]) {
  const {values, positionals} = parse(args, COMMON_OPTIONS);
  if (values.help) return console.log(ASK_HELP);
  const [dir, question] = positionals;
  if (!dir || !question) throw new UsageError('ask needs a folder and a question: dynsplit ask <dir> "<question>"');
  const root = checkFolder(dir);
  const method = methodOf(values.method);
  const budget = budgetOf(values.budget, values["budget-tokens"]);
  const signal = signalOf(values.signal);
  const engine = await openEngine(values);
  try {
    const summary = await engine.ingest(
      {
        roots: [root],
        method,
        budget,
        signal,
        question,
        queryAware: !values["query-agnostic"],
        useCache: !values["no-cache"],
        methodOptions: {blockSize: intOf("block-size", values["block-size"]), tolerance: tolerance(values.tolerance)},
      },
      {onProgress: values.json ? undefined : progressPrinter()}
    );
    if (!values.json) process.stderr.write("\n");
    let streamed = "";
    const answer = await engine.ask(question, {
      onText: values.json ? undefined : (t) => {
        streamed += t;
        process.stdout.write(t);
      },
    });
    if (values.json) console.log(JSON.stringify(askJson(summary, answer.answer, answer.timings), null, 2));
    else {
      if (!streamed) process.stdout.write(answer.answer);
      process.stdout.write("\n");
      printSummary(summary);
    }
  } finally {
    await engine.dispose();
  }
}

export function checkFolder(dir: string): string {
  const root = path.resolve(dir);
  if (!existsSync(root)) throw new UsageError(`folder not found: ${dir}`);
  if (!statSync(root).isDirectory()) throw new UsageError(`not a folder: ${dir}`);
  return root;
}

export function tolerance(value: string | undefined): number | undefined {
  if (value == null) return undefined;
  const v = Number(value);
  if (!Number.isInteger(v) || v < 0) throw new UsageError(`--tolerance must be a non-negative integer, got "${value}"`);
  return v;
}

export function askJson(s: IngestSummary, answer: string, answerTimings: {prefillMs: number; scoringMs: number; evictMs: number; decodeMs: number}) {
  return {
    answer,
    method: s.method,
    signal: s.signal,
    budgetTokens: s.budgetTokens,
    tokensRead: s.tokensRead,
    tokensKept: s.tokensKept,
    kvBytesAllocated: s.memory.kvBytesAllocated,
    kvBytesFullCache: s.memory.kvBytesFullCache,
    fromCache: s.fromCache,
    beyondModelContext: s.beyondModelContext,
    blocks: s.blocks.map((b) => ({file: b.file, startLine: b.startLine, endLine: b.endLine, tokens: b.tokens, kept: b.keptTokens > 0, score: round(b.score)})),
    timings: {
      prefillMs: round(s.timings.prefillMs + answerTimings.prefillMs),
      scoringMs: round(s.timings.scoringMs + answerTimings.scoringMs),
      evictMs: round(s.timings.evictMs + answerTimings.evictMs),
      decodeMs: round(answerTimings.decodeMs),
    },
  };
}

export function printSummary(s: IngestSummary) {
  const m = s.memory;
  const lines = [
    `method ${s.method} · signal ${s.signal} · ${s.files} files${s.fromCache ? " · from the persistent cache" : ""}`,
    `tokens read ${s.tokensRead} · kept ${s.tokensKept} (budget ${s.budgetTokens}, ${s.compressions} compressions)`,
    `KV allocated ${formatBytes(m.kvBytesAllocated)} (context ${m.contextSize}) · a full cache would need ${formatBytes(m.kvBytesFullCache)} · ${(m.kvBytesFullCache / m.kvBytesAllocated).toFixed(1)}× less`,
    `timings: prefill ${s.timings.prefillMs.toFixed(0)} ms · scoring ${s.timings.scoringMs.toFixed(0)} ms · evict ${s.timings.evictMs.toFixed(0)} ms · total ${s.ingestMs.toFixed(0)} ms`,
  ];
  const skipped = Object.entries(s.skippedByReason).filter(([, n]) => n);
  if (skipped.length) lines.push(`skipped: ${skipped.map(([r, n]) => `${n} ${r}`).join(", ")}`);
  if (s.beyondModelContext) lines.push(beyondModelContextNote(s.beyondModelContext));
  process.stderr.write(lines.join("\n") + "\n");
}

export function progressPrinter() {
  let last = 0;
  return (p: {filesRead: number; filesTotal: number; tokensRead: number; tokensTotal: number; tokensKept: number}) => {
    const now = Date.now();
    if (now - last < 200 && p.tokensRead < p.tokensTotal) return;
    last = now;
    process.stderr.write(`\rreading ${p.filesRead}/${p.filesTotal} files · ${p.tokensRead}/${p.tokensTotal} tokens · ${p.tokensKept} kept   `);
  };
}

function round(x: number) {
  return Math.round(x * 1000) / 1000;
}

function beyondModelContextNote(b: NonNullable<IngestSummary["beyondModelContext"]>): string {
  return `note: ${b.tokensKept} tokens stay in the context, more than the ${b.modelContextTokens} this model handles well; answers may be wrong (lower --budget-tokens)`;
}
