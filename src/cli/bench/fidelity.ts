/**
 * The fidelity bench (issue 14): suites where the compression methods can differ, on real code the model never saw.
 * - query-aware: one multi-token fact per context among distractors, compressed for its value question at 10-30 %;
 *   then its value and its file are asked (a kept block must still carry its value whole and know its file);
 * - agnostic: ten facts per context, compressed once with no question (the chat situation), then all asked; with the
 *   repository memory (one block store, a context chosen per question) in the same table;
 * - heatmap: needle depth × context length for DynSplit, the strongest query-aware baseline and the full cache.
 * Every cell counts answers with 95 % Wilson intervals, overall, per value kind and per depth.
 */
import {performance} from "node:perf_hooks";
import {DynSplitInputError} from "../../core/errors";
import {formatDuration} from "../../core/formatDuration";
import type {SignalSetting} from "../../core/signalNames";
import {codeExcerpts} from "../../corpus/codeExcerpts";
import type {Engine, IngestRequest} from "../../engine/engine";
import {isRightAnswer} from "../answerMatch";
import {factWorkspaces, needleCases, type BenchInput} from "./fidelityCases";
import {BASELINES, DYNSPLIT, FULL_CACHE, strongestBaseline, type MethodCell} from "./fidelityMethods";
import {plannedWork, suiteCells, type FidelityPlan} from "./fidelityPlan";
import {Tally, depthBucketLabel, type Share, type TallyStats} from "./tally";
import {WorkMeter} from "./workMeter";

export interface FidelityRow extends TallyStats {
  suite: "query-aware" | "agnostic";
  question: "value" | "file";
  label: string;
  method: string;
  role: MethodCell["role"];
  answerFrom: "once" | "memory";
  budget: number;
  /** The target context length; meanTokensRead is what the tokenizer made of it. */
  contextTokens: number;
  signal: string;
  /** Contexts compressed for this row (one per case or workspace), and those the engine refused (counted wrong). */
  reads: number;
  failedReads: number;
  meanTokensRead: number;
  meanTokensKept: number;
  /** Per read, in ms: measuring the signal (memory: scoring blocks for the questions); running the method and
   *  erasing what it evicts. */
  meanScoringMs: number;
  meanCompressMs: number;
  meanFirstTokenMs: number;
  /** Reads whose kept context is longer than the model handles. */
  beyondModelContext: number;
}

export interface HeatmapCell extends Share {
  label: string;
  method: string;
  contextTokens: number;
  meanTokensRead: number;
  /** Depth bucket, e.g. "40–60%". */
  bucket: string;
}

export interface FidelityResult {
  plan: FidelityPlan;
  /** Characters per token of the model's tokenizer on the pool's code: the first guess of every input's size (each
   *  is then refitted to its target by its exact token count). */
  charsPerToken: number;
  rows: FidelityRow[];
  heatmap?: {budget: number; baseline: string; cells: HeatmapCell[]};
  seconds: number;
}

export interface FidelityRunOptions {
  /** Real code to cut contexts from (realCodeFiles). */
  pool: Readonly<Record<string, string>>;
  signal?: SignalSetting;
  seed?: string;
  log?: (line: string) => void;
  onRow?: (row: FidelityRow) => void;
  /** Least time between two progress lines. Default 10 s. */
  progressMs?: number;
}

/** A question costs about as much as reading this many tokens (for the ETA only). */
const QUESTION_WORK = 40;

export async function runFidelity(engine: Engine, plan: FidelityPlan, o: FidelityRunOptions): Promise<FidelityResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => undefined);
  const signal = o.signal ?? "auto";
  const seed = o.seed ?? "fidelity";
  const charsPerToken = measureCharsPerToken(engine, o.pool);
  const tokensOf = (documents: BenchInput["documents"]) => engine.documentTokens(documents);
  const work = plannedWork(plan);
  log(
    `fidelity: ${charsPerToken.toFixed(2)} characters per token on this code; ${work.reads} reads (${(work.tokens / 1e6).toFixed(2)}M tokens), ${work.questions} questions`
  );
  const meter = new WorkMeter(work.tokens + QUESTION_WORK * work.questions);
  let printed = -Infinity;
  const tick = (done: number, what: string) => {
    meter.add(done);
    if (meter.elapsedMs - printed < (o.progressMs ?? 10_000)) return;
    printed = meter.elapsedMs;
    const eta = meter.etaMs;
    log(`[${(100 * meter.fraction).toFixed(0)} %] ${what}${eta != null ? ` · about ${formatDuration(eta)} left` : ""}`);
  };
  const rows: FidelityRow[] = [];
  const emit = (...rs: FidelityRow[]) => {
    rows.push(...rs);
    for (const r of rs) o.onRow?.(r);
  };

  if (plan.queryAware) {
    const p = plan.queryAware;
    const inputs = needleCases(o.pool, {count: p.cases, contextTokens: p.contextTokens, charsPerToken, tokensOf, seed: `${seed}:aware`});
    for (const {cell, budget} of suiteCells(p)) {
      const r = await runCell(engine, inputs, {cell, budget, signal, steer: true, asks: ["value", "file"]}, tick);
      emit(row("query-aware", "value", cell, budget, p.contextTokens, r), row("query-aware", "file", cell, budget, p.contextTokens, r));
    }
  }

  if (plan.agnostic) {
    const p = plan.agnostic;
    const inputs = factWorkspaces(o.pool, {
      count: p.workspaces,
      facts: p.facts,
      contextTokens: p.contextTokens,
      charsPerToken,
      tokensOf,
      seed: `${seed}:agnostic`,
    });
    for (const {cell, budget} of suiteCells(p)) {
      const r = await runCell(engine, inputs, {cell, budget, signal, steer: false, asks: ["value", "file"]}, tick);
      emit(row("agnostic", "value", cell, budget, p.contextTokens, r), row("agnostic", "file", cell, budget, p.contextTokens, r));
    }
  }

  let heatmap: FidelityResult["heatmap"];
  if (plan.heatmap) {
    const h = plan.heatmap;
    const aware = rows.filter((r) => r.suite === "query-aware" && r.question === "value" && r.role === "baseline");
    const baselineLabel = h.baseline ?? strongestBaseline(aware, h.budget);
    const baseline = BASELINES.find((b) => b.label === baselineLabel);
    if (!baseline) throw new Error(`heat map: no baseline "${baselineLabel}"`);
    log(
      `heat map: dynsplit, ${baselineLabel} (${h.baseline ? "named" : `the most accurate baseline at ${100 * h.budget} %, query-aware`}) and the full cache`
    );
    const cells: HeatmapCell[] = [];
    for (const contextTokens of h.contexts)
      for (let b = 0; b < h.depthBuckets; b++) {
        const inputs = needleCases(o.pool, {
          count: h.perCell,
          contextTokens,
          charsPerToken,
          tokensOf,
          seed: `${seed}:heat:${contextTokens}:${b}`,
          depthFrom: b / h.depthBuckets,
          depthTo: (b + 1) / h.depthBuckets,
        });
        for (const cell of [DYNSPLIT, baseline, FULL_CACHE]) {
          const budget = cell.role === "reference" ? 1 : h.budget;
          const r = await runCell(engine, inputs, {cell, budget, signal, steer: true, asks: ["value"]}, tick);
          const s = r.tallies.value.stats();
          cells.push({
            label: cell.label,
            method: cell.method,
            contextTokens,
            meanTokensRead: r.tokensRead / inputs.length,
            bucket: depthBucketLabel(b, h.depthBuckets),
            n: s.n,
            correct: s.correct,
            accuracy: s.accuracy,
            ci95: s.ci95,
          });
        }
      }
    heatmap = {budget: h.budget, baseline: baselineLabel, cells};
  }
  return {plan, charsPerToken, rows, heatmap, seconds: (performance.now() - t0) / 1000};
}

interface CellRun {
  tallies: {value: Tally; file: Tally};
  reads: number;
  failedReads: number;
  tokensRead: number;
  tokensKept: number;
  scoringMs: number;
  compressMs: number;
  firstTokenMs: number;
  questions: number;
  beyond: number;
  signal: string;
  answerFrom: "once" | "memory";
}

/** Each input read and compressed once by `cell` at `budget`, then each of its facts asked (value and/or file). */
async function runCell(
  engine: Engine,
  inputs: readonly BenchInput[],
  c: {cell: MethodCell; budget: number; signal: SignalSetting; steer: boolean; asks: ("value" | "file")[]},
  tick: (work: number, what: string) => void
): Promise<CellRun> {
  const run: CellRun = {
    tallies: {value: new Tally(), file: new Tally()},
    reads: 0,
    failedReads: 0,
    tokensRead: 0,
    tokensKept: 0,
    scoringMs: 0,
    compressMs: 0,
    firstTokenMs: 0,
    questions: 0,
    beyond: 0,
    signal: "",
    answerFrom: c.cell.memory ? "memory" : "once",
  };
  const what = (i: number) => `${c.cell.label} at ${c.budget === 1 ? "full" : `${100 * c.budget} %`}: ${i + 1}/${inputs.length}`;
  for (const [i, input] of inputs.entries()) {
    run.reads++;
    let read;
    try {
      read = await engine.ingest(ingestRequest(c.cell, c.budget, input, c.signal, c.steer ? input.facts[0].valueQuestion : undefined));
    } catch (err) {
      // A budget too small for the pinned file headers: the same for every method, so counted wrong, not hidden.
      if (!(err instanceof DynSplitInputError)) throw err;
      run.failedReads++;
      for (const f of input.facts) for (const kind of c.asks) run.tallies[kind].add(false, {kind: f.valueKind, depth: f.depth});
      tick(0, what(i));
      continue;
    }
    run.tokensRead += read.tokensRead;
    run.tokensKept += read.tokensKept;
    run.scoringMs += read.timings.scoringMs;
    run.compressMs += read.timings.evictMs;
    run.signal = read.signal;
    if (read.beyondModelContext) run.beyond++;
    for (const f of input.facts)
      for (const kind of c.asks) {
        const a = await engine.ask(kind === "value" ? f.valueQuestion : f.fileQuestion);
        run.tallies[kind].add(isRightAnswer(kind, a.answer, kind === "value" ? f.value : f.path), {kind: f.valueKind, depth: f.depth});
        run.firstTokenMs += a.firstTokenMs ?? a.totalMs;
        if (run.answerFrom === "memory") run.scoringMs += a.timings.scoringMs;
        run.questions++;
      }
    tick(read.tokensTotal + QUESTION_WORK * input.facts.length * c.asks.length, what(i));
  }
  return run;
}

function ingestRequest(cell: MethodCell, budget: number, input: BenchInput, signal: SignalSetting, steer?: string): IngestRequest {
  const common = {
    documents: input.documents,
    method: cell.method,
    methodOptions: cell.options,
    budget: {ratio: budget, exact: true},
    useCache: false,
  };
  if (cell.memory) return {...common, answerFrom: "memory", segmentation: cell.memory.segmentation, placement: cell.memory.placement};
  return {
    ...common,
    answerFrom: "once",
    signal,
    question: steer,
    queryAware: steer != null,
    observationWindow: cell.observationWindow,
  };
}

function row(
  suite: FidelityRow["suite"],
  question: FidelityRow["question"],
  cell: MethodCell,
  budget: number,
  contextTokens: number,
  r: CellRun
): FidelityRow {
  const ok = Math.max(1, r.reads - r.failedReads);
  return {
    suite,
    question,
    label: cell.label,
    method: cell.method,
    role: cell.role,
    answerFrom: r.answerFrom,
    budget,
    contextTokens,
    signal: r.signal,
    ...r.tallies[question].stats(),
    reads: r.reads,
    failedReads: r.failedReads,
    meanTokensRead: r.tokensRead / ok,
    meanTokensKept: r.tokensKept / ok,
    meanScoringMs: r.scoringMs / ok,
    meanCompressMs: r.compressMs / ok,
    meanFirstTokenMs: r.firstTokenMs / Math.max(1, r.questions),
    beyondModelContext: r.beyond,
  };
}

/** Characters per token of the loaded model on the pool's code (file headers counted as generateCase counts them). */
function measureCharsPerToken(engine: Engine, pool: Readonly<Record<string, string>>): number {
  const documents = Object.entries(codeExcerpts(pool, {seed: "chars-per-token", chars: 20_000})).map(([path, content]) => ({
    path,
    content,
  }));
  const chars = documents.reduce((a, d) => a + d.content.length + d.path.length + 10, 0);
  return chars / engine.documentTokens(documents);
}
