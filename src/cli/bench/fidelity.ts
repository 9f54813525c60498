import {generateCase, type NeedleCase} from "../../corpus";
import type {MethodOptions} from "../../core/methods/registry";
import type {MethodName} from "../../core/types";
import type {Engine} from "../../engine/engine";
import type {SignalSetting} from "../../core/signalNames";
import {isCorrect, wilson} from "../answerMatch";

/** One retrieval case of a suite: documents, one or more questions (all must be answered right). */
export interface FidelityCase {
  id: string;
  suite: "single" | "multi" | "distractors";
  depth: number;
  documents: {path: string; content: string}[];
  questions: {question: string; answer: string}[];
}

/** One grid of runs: a suite under one signal and query mode, some methods at some budgets. */
export interface FidelityGrid {
  suite: FidelityCase["suite"];
  signal: SignalSetting;
  query: "aware" | "agnostic";
  methods: MethodName[];
  budgets: number[];
  /** DynSplit variants (C, Δ, α) for the ablations. */
  variants?: {name: string; options: MethodOptions}[];
}

export interface FidelityConfig {
  cases: number;
  contextTokens: number;
  grids: FidelityGrid[];
  seed?: number;
  onResult?: (row: FidelityRow) => void;
}

export interface FidelityRow {
  suite: string;
  method: string;
  variant: string;
  budget: number;
  signal: string;
  query: "aware" | "agnostic";
  n: number;
  correct: number;
  accuracy: number;
  ci95: [number, number];
  /** Accuracy per needle-depth bucket (0–20 %, …, 80–100 %). */
  byDepth: {bucket: string; n: number; accuracy: number}[];
  meanTokensRead: number;
  meanTokensKept: number;
  scoringShare: number;
}

/**
 * Fresh cases (seeds 8,000,000+, never used in training). "multi" asks the needle and one distractor fact (a second
 * needle) in one go; both answers must be right, and both questions are the observation window.
 */
export function fidelityCases(suite: FidelityCase["suite"], count: number, contextTokens: number, seed = 8_000_000): FidelityCase[] {
  return Array.from({length: count}, (_, i) => {
    const depth = (i + 0.5) / count;
    const c: NeedleCase = generateCase(`${suite}:${seed + i}`, {
      contextTokens,
      needleDepth: depth,
      distractors: suite === "distractors" ? 12 : 4,
    });
    const documents = Object.entries(c.files).map(([path, content]) => ({path, content}));
    const questions = [{question: c.question, answer: c.answer}];
    if (suite === "multi" && c.distractors[0]) {
      const d = c.distractors[0];
      questions.push({question: c.question.replace(c.needle.key, d.key), answer: d.value});
    }
    return {id: c.id, suite, depth, documents, questions};
  });
}

export async function runFidelity(engine: Engine, config: FidelityConfig): Promise<FidelityRow[]> {
  const rows: FidelityRow[] = [];
  const suites = new Map<string, FidelityCase[]>();
  for (const g of config.grids) {
    if (!suites.has(g.suite)) suites.set(g.suite, fidelityCases(g.suite, config.cases, config.contextTokens, config.seed));
    const cases = suites.get(g.suite)!;
    const cells: {method: MethodName; variant: string; options?: MethodOptions; budget: number}[] = [];
    for (const m of g.methods) for (const b of m === "full" ? [1] : g.budgets) cells.push({method: m, variant: m, budget: b});
    for (const v of g.variants ?? [])
      for (const b of g.budgets) cells.push({method: "dynsplit", variant: v.name, options: v.options, budget: b});
    for (const c of cells) {
      const row = await runCell(engine, cases, {...c, signal: g.signal, query: g.query, suite: g.suite});
      rows.push(row);
      config.onResult?.(row);
    }
  }
  return rows;
}

async function runCell(
  engine: Engine,
  cases: FidelityCase[],
  cell: {
    method: MethodName;
    variant: string;
    options?: MethodOptions;
    budget: number;
    signal: SignalSetting;
    query: "aware" | "agnostic";
    suite: string;
  }
): Promise<FidelityRow> {
  let correct = 0;
  let read = 0;
  let kept = 0;
  let scoring = 0;
  let prefill = 0;
  let signalUsed = "";
  const depthBuckets = Array.from({length: 5}, () => ({n: 0, correct: 0}));
  for (const c of cases) {
    const joined = c.questions.map((q) => q.question).join("\n");
    const s = await engine.ingest({
      documents: c.documents,
      method: cell.method,
      methodOptions: cell.options,
      budget: {ratio: cell.budget, exact: true},
      signal: cell.signal,
      answerFrom: cell.query === "aware" ? "reread" : "once",
      question: cell.query === "aware" ? joined : undefined,
      queryAware: cell.query === "aware",
      useCache: false,
    });
    let ok = true;
    for (const q of c.questions) ok = isCorrect((await engine.ask(q.question)).answer, q.answer) && ok;
    if (ok) correct++;
    const bucket = depthBuckets[Math.min(4, Math.floor(c.depth * 5))];
    bucket.n++;
    if (ok) bucket.correct++;
    read += s.tokensRead;
    kept += s.tokensKept;
    scoring += s.timings.scoringMs + s.timings.evictMs;
    prefill += s.timings.prefillMs;
    signalUsed = s.signal;
  }
  const n = cases.length;
  return {
    suite: cell.suite,
    method: cell.method,
    variant: cell.variant,
    budget: cell.budget,
    signal: signalUsed || cell.signal,
    query: cell.query,
    n,
    correct,
    accuracy: correct / n,
    ci95: wilson(correct, n),
    byDepth: depthBuckets.map((b, i) => ({bucket: `${i * 20}–${i * 20 + 20}%`, n: b.n, accuracy: b.n ? b.correct / b.n : NaN})),
    meanTokensRead: read / n,
    meanTokensKept: kept / n,
    scoringShare: prefill > 0 ? scoring / prefill : 0,
  };
}
