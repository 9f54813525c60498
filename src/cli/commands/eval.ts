import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import type {AnswerFrom} from "../../core/answerModes";
import type {SegmentationName} from "../../core/blockSegmenter";
import {isMemoryMethod, type MethodName} from "../../core/types";
import type {Engine} from "../../engine/engine";
import type {SignalSetting} from "../../core/signalNames";
import {isRightAnswer, wilson} from "../answerMatch";
import {budgetOfValue, readCases, type EvalCase} from "../evalCases";
import {answerFromOf, COMMON_OPTIONS, methodOf, parse, segmentationOf, signalOf, UsageError} from "../options";
import {openEngine} from "../openEngine";

export const EVAL_HELP = `dynsplit eval <cases.jsonl> [--methods dynsplit,chunkkv,...] [--budgets 0.1,2048] [--answer-from memory,reread,once]
              [--limit N] [--json]
  Runs retrieval cases, one JSON object a line: {"id", "files": {"path": "content"}, "questions": [{"question",
  "answer", "kind"}, ...]} (or one "question" and "answer"); kind "value" (default) compares the answer exactly after
  trimming (multi-token values too), "file" compares it as a path (the file a fact lives in). Each case's files are written to a temporary folder and read
  like a workspace, once per method, budget and mode; every question is then asked. Budgets in (0, 1] are shares of
  the workspace, larger ones token counts. Reports accuracy (per question) and mean time to first token.`;

/** What `eval --json` prints. */
export interface EvalJson {
  cases: number;
  questions: number;
  cells: EvalCell[];
}

export interface EvalCell {
  method: MethodName;
  answerFrom: AnswerFrom;
  /** A share of the workspace, or a token count (> 1). */
  budget: number;
  n: number;
  correct: number;
  accuracy: number;
  ci95: [number, number];
  meanFirstTokenMs: number;
  meanTokensRead: number;
  meanTokensKept: number;
  signal: string;
}

export async function evalCommand(args: string[]) {
  const {values, positionals} = parse(args, {
    ...COMMON_OPTIONS,
    methods: {type: "string"},
    budgets: {type: "string"},
    limit: {type: "string"},
  });
  if (values.help) return console.log(EVAL_HELP);
  const [file] = positionals;
  if (!file) throw new UsageError("eval needs a cases file: dynsplit eval <cases.jsonl>");
  const cases = readCases(file, values.limit ? Number(values.limit) : undefined);
  const methods = (values.methods ?? "full,dynsplit,chunkkv,snapkv,streaming").split(",").map((m) => methodOf(m.trim()));
  const budgets = (values.budgets ?? "0.25").split(",").map(budgetValue);
  const modes = (values["answer-from"] ?? "memory").split(",").map((m) => answerFromOf(m.trim()));
  const engine = await openEngine(values);
  try {
    const cells = await runEval(engine, cases, {
      methods,
      budgets,
      modes,
      signal: signalOf(values.signal),
      queryAware: !values["query-agnostic"],
      segmentation: segmentationOf(values.segmentation),
      log: !values.json,
    });
    if (values.json)
      console.log(
        JSON.stringify(
          {cases: cases.length, questions: cases.reduce((a, c) => a + c.questions.length, 0), cells} satisfies EvalJson,
          null,
          2
        )
      );
    else printTable(cells);
  } finally {
    await engine.dispose();
  }
}

function budgetValue(b: string): number {
  const v = Number(b);
  if (!(v > 0) || (v > 1 && !Number.isInteger(v)))
    throw new UsageError(`--budgets takes shares in (0, 1] or whole token counts, got "${b}"`);
  return v;
}

/** Accuracy per method, budget and mode; every case is read from a temporary folder like a real workspace. */
export async function runEval(
  engine: Engine,
  cases: readonly EvalCase[],
  options: {
    methods: readonly MethodName[];
    budgets: readonly number[];
    modes: readonly AnswerFrom[];
    signal: SignalSetting;
    queryAware: boolean;
    segmentation?: SegmentationName;
    log?: boolean;
  }
): Promise<EvalCell[]> {
  const cells: EvalCell[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), "dynsplit-eval-"));
  try {
    const dirs = cases.map((c, i) => writeCase(tmp, i, c));
    for (const method of options.methods)
      for (const answerFrom of method === "full" ? (["once"] as const) : options.modes) {
        if (answerFrom === "memory" && !isMemoryMethod(method)) {
          if (options.log) process.stderr.write(`${method.padEnd(10)} has no repository-memory form: skipped for --answer-from memory\n`);
          continue;
        }
        for (const budget of method === "full" ? [1] : options.budgets) {
          let correct = 0;
          let n = 0;
          let firstToken = 0;
          let read = 0;
          let kept = 0;
          let signal = "";
          for (let i = 0; i < cases.length; i++) {
            const qs = cases[i].questions;
            const s = await engine.ingest({
              roots: [dirs[i]],
              method,
              answerFrom,
              budget: budgetOfValue(budget),
              signal: options.signal,
              segmentation: options.segmentation,
              question: answerFrom === "reread" ? qs[0].question : undefined,
              queryAware: options.queryAware,
              useCache: false,
            });
            read += s.tokensRead;
            for (const q of qs) {
              const a = await engine.ask(q.question);
              if (isRightAnswer(q.kind, a.answer, q.answer)) correct++;
              n++;
              firstToken += a.firstTokenMs ?? a.totalMs;
              kept += a.tokensKept;
              signal = a.signal;
            }
          }
          const cell: EvalCell = {
            method,
            answerFrom,
            budget,
            n,
            correct,
            accuracy: correct / n,
            ci95: wilson(correct, n),
            meanFirstTokenMs: firstToken / n,
            meanTokensRead: read / cases.length,
            meanTokensKept: kept / n,
            signal,
          };
          cells.push(cell);
          if (options.log)
            process.stderr.write(
              `${method.padEnd(10)} ${answerFrom.padEnd(7)} budget ${String(budget).padEnd(6)} accuracy ${(cell.accuracy * 100).toFixed(1)}% (${correct}/${n}) · first token ${cell.meanFirstTokenMs.toFixed(0)} ms\n`
            );
        }
      }
  } finally {
    rmSync(tmp, {recursive: true, force: true});
  }
  return cells;
}

function writeCase(tmp: string, index: number, c: EvalCase): string {
  const dir = path.join(tmp, `case-${index}`);
  for (const [rel, content] of Object.entries(c.files)) {
    const target = path.resolve(dir, rel);
    if (!target.startsWith(dir + path.sep)) throw new UsageError(`case ${c.id}: file path escapes the case folder: ${rel}`);
    mkdirSync(path.dirname(target), {recursive: true});
    writeFileSync(target, content);
  }
  return dir;
}

function printTable(cells: EvalCell[]) {
  console.log(`method      mode     budget  accuracy  95% CI       n    first token  tokens kept  signal`);
  for (const c of cells)
    console.log(
      `${c.method.padEnd(11)} ${c.answerFrom.padEnd(8)} ${String(c.budget).padEnd(7)} ${(c.accuracy * 100).toFixed(1).padStart(6)}%  [${(c.ci95[0] * 100).toFixed(0)}–${(c.ci95[1] * 100).toFixed(0)}%]`.padEnd(
        56
      ) +
        `${String(c.n).padStart(4)}   ${c.meanFirstTokenMs.toFixed(0).padStart(8)} ms  ${c.meanTokensKept.toFixed(0).padStart(9)}    ${c.signal}`
    );
}
