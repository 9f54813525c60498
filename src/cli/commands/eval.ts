import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {METHOD_NAMES, type MethodName} from "../../core/types";
import type {Engine} from "../../engine/engine";
import type {SignalChoice} from "../../engine/session/compressedSession";
import {COMMON_OPTIONS, methodOf, parse, signalOf, UsageError} from "../options";
import {openEngine} from "../openEngine";

export const EVAL_HELP = `dynsplit eval <cases.jsonl> [--methods dynsplit,chunkkv,...] [--budgets 0.1,0.2,0.3] [--limit N] [--json]
  Runs retrieval cases, one JSON object a line: {"id", "files": {"path": "content"}, "question", "answer"}.
  Each case's files are written to a temporary folder and ingested exactly like a workspace.`;

export interface EvalCase {
  id: string;
  files: Record<string, string>;
  question: string;
  answer: string;
}

export interface EvalCell {
  method: MethodName;
  budget: number;
  n: number;
  correct: number;
  accuracy: number;
  ci95: [number, number];
  meanTokensRead: number;
  meanTokensKept: number;
  signal: string;
}

export async function evalCommand(args: string[]) {
  const {values, positionals} = parse(args, {...COMMON_OPTIONS, methods: {type: "string"}, budgets: {type: "string"}, limit: {type: "string"}});
  if (values.help) return console.log(EVAL_HELP);
  const [file] = positionals;
  if (!file) throw new UsageError("eval needs a cases file: dynsplit eval <cases.jsonl>");
  const cases = readCases(file, values.limit ? Number(values.limit) : undefined);
  const methods = (values.methods ?? "full,dynsplit,chunkkv,snapkv,streaming").split(",").map((m) => methodOf(m.trim()));
  const budgets = (values.budgets ?? "0.25").split(",").map((b) => {
    const v = Number(b);
    if (!(v > 0 && v <= 1)) throw new UsageError(`--budgets takes fractions in (0, 1], got "${b}"`);
    return v;
  });
  const engine = await openEngine(values);
  try {
    const cells = await runEval(engine, cases, methods, budgets, {signal: signalOf(values.signal), queryAware: !values["query-agnostic"], log: !values.json});
    if (values.json) console.log(JSON.stringify({cases: cases.length, cells}, null, 2));
    else printTable(cells);
  } finally {
    await engine.dispose();
  }
}

export function readCases(file: string, limit?: number): EvalCase[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UsageError(`cannot read cases file: ${file}`);
  }
  const cases: EvalCase[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    let c: EvalCase;
    try {
      c = JSON.parse(line);
    } catch {
      throw new UsageError(`${file}:${i + 1}: not valid JSON`);
    }
    if (typeof c.question !== "string" || typeof c.answer !== "string" || typeof c.files !== "object" || c.files == null)
      throw new UsageError(`${file}:${i + 1}: a case needs "files" (object), "question" and "answer" (strings)`);
    cases.push({...c, id: String(c.id ?? i + 1)});
  });
  if (cases.length === 0) throw new UsageError(`${file} holds no cases`);
  return limit ? cases.slice(0, limit) : cases;
}

/** Accuracy per method and budget; every case is ingested from a temporary folder like a real workspace. */
export async function runEval(
  engine: Engine,
  cases: readonly EvalCase[],
  methods: readonly MethodName[],
  budgets: readonly number[],
  options: {signal: SignalChoice | "auto"; queryAware: boolean; log?: boolean}
): Promise<EvalCell[]> {
  const cells: EvalCell[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), "dynsplit-eval-"));
  try {
    const dirs = cases.map((c, i) => writeCase(tmp, i, c));
    for (const method of methods) {
      for (const budget of method === "full" ? [1] : budgets) {
        let correct = 0;
        let read = 0;
        let kept = 0;
        let signal = "";
        for (let i = 0; i < cases.length; i++) {
          const s = await engine.ingest({roots: [dirs[i]], method, budget: {ratio: budget}, signal: options.signal, question: cases[i].question, queryAware: options.queryAware, useCache: false});
          const a = await engine.ask(cases[i].question);
          if (isCorrect(a.answer, cases[i].answer)) correct++;
          read += s.tokensRead;
          kept += s.tokensKept;
          signal = s.signal;
        }
        const n = cases.length;
        const cell = {method, budget, n, correct, accuracy: correct / n, ci95: wilson(correct, n), meanTokensRead: read / n, meanTokensKept: kept / n, signal};
        cells.push(cell);
        if (options.log) process.stderr.write(`${method.padEnd(10)} budget ${String(budget).padEnd(5)} accuracy ${(cell.accuracy * 100).toFixed(1)}% (${correct}/${n})\n`);
      }
    }
  } finally {
    rmSync(tmp, {recursive: true, force: true});
  }
  return cells;
}

export function isCorrect(answer: string, expected: string): boolean {
  const norm = (s: string) => s.trim().replace(/[;,.]+$/, "").trim();
  return norm(answer) === norm(expected);
}

/** Wilson score interval: honest at small n and near 0 or 1. */
export function wilson(k: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
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
  console.log(`method      budget  accuracy  95% CI          n   tokens kept/read  signal`);
  for (const c of cells)
    console.log(
      `${c.method.padEnd(11)} ${String(c.budget).padEnd(7)} ${(c.accuracy * 100).toFixed(1).padStart(6)}%  [${(c.ci95[0] * 100).toFixed(0)}–${(c.ci95[1] * 100).toFixed(0)}%]`.padEnd(50) +
        `${String(c.n).padStart(4)}   ${c.meanTokensKept.toFixed(0)}/${c.meanTokensRead.toFixed(0)}`.padEnd(22) +
        c.signal
    );
}

export {METHOD_NAMES};
