/**
 * The repository-memory benchmark, on real code nobody here wrote (the Python standard library of this machine) with
 * many planted facts, all asked after one ingest:
 * - accuracy and time to first token per mode (memory with DynSplit blocks, fixed 16-token pages and ChunkKV-size
 *   chunks; the `reread` reference; `once` for every method) at a fixed token budget and at a share of the workspace;
 * - an incremental re-read after editing one file;
 * - scale: a large workspace ingested in a fresh worker (throughput against plain prefill in the same windows, peak
 *   RSS, store bytes, the share of a question's time spent scoring all blocks).
 */
import {appendFileSync, mkdtempSync, rmSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {performance} from "node:perf_hooks";
import type {AnswerFrom, Placement} from "../../core/answerModes";
import type {SegmentationName} from "../../core/blockSegmenter";
import type {MethodName} from "../../core/types";
import {formatFact, formatQuestion} from "../../corpus";
import {plantFacts, type PlantedWorkspace} from "../../corpus/plantFacts";
import {defaultRealCodeRoot, realCodeFiles} from "../../corpus/realCode";
import {writeFilesToTempDir} from "../../corpus/writeFiles";
import type {Engine, EngineConfig} from "../../engine/engine";
import type {MemoryScoring} from "../../engine/memory/memorySession";
import {EngineClient} from "../../engine/worker/engineClient";
import {isCorrect, wilson} from "../answerMatch";
import {budgetOfValue} from "../evalCases";

export interface MemoryBenchConfig {
  /** Characters of real code in the multi-question workspace. */
  workspaceChars: number;
  facts: number;
  /** Token counts (> 1) or shares of the workspace. */
  budgets: number[];
  /** Methods answered `once` (query-agnostic). */
  onceMethods: MethodName[];
  /** Memory variants: segmentation × placement (× question-time scoring, labelled). */
  memory: {segmentation: SegmentationName; placement: Placement; scoring?: MemoryScoring; label?: string}[];
  /** Per budget, the questions the (slow) reread reference answers; all of them when undefined. */
  rereadQuestions?: (number | undefined)[];
  /** Characters of real code for the scale run (0: skipped). */
  scaleChars: number;
  worker: {path: string; engine: Omit<EngineConfig, "cacheDir">};
  seed?: number;
  log?: (line: string) => void;
}

export interface MemoryCell {
  answerFrom: AnswerFrom;
  method: string;
  placement?: Placement;
  budgetTokens: number;
  budgetLabel: string;
  n: number;
  correct: number;
  accuracy: number;
  ci95: [number, number];
  meanFirstTokenMs: number;
  medianFirstTokenMs: number;
  meanScoringMs: number;
  meanTotalMs: number;
  ingestMs: number;
  tokensRead: number;
  signal: string;
  beyondModelContext: boolean;
}

export interface MemoryBenchResult {
  workspace: {root: string; files: number; tokens: number; facts: number; distractors: number};
  cells: MemoryCell[];
  incremental?: {editedFile: string; fileTokens: number; tokensRead: number; ingestMs: number; firstTokenMs: number; answerRight: boolean};
  reopen?: {ingestMs: number; tokensRead: number; firstTokenMs: number};
  disk: {placement: Placement; bytes: number; tokens: number; bytesPerKToken: number}[];
  scale?: ScaleResult;
}

export interface ScaleResult {
  files: number;
  tokens: number;
  ingestMs: number;
  ingestTokPerS: number;
  plainPrefillTokPerS: number;
  throughputRatio: number;
  storeBytes: number;
  peakRssMiB: number;
  questions: number;
  meanFirstTokenMs: number;
  meanScoringMs: number;
  scoringShare: number;
  reopenMs: number;
}

export async function runMemoryBench(engine: Engine, config: MemoryBenchConfig): Promise<MemoryBenchResult> {
  const log = config.log ?? (() => undefined);
  const seed = config.seed ?? 1;
  const ws = plantFacts(realCodeFiles({chars: config.workspaceChars, seed}), {facts: config.facts, seed});
  const dir = writeFiles(ws.files);
  const cells: MemoryCell[] = [];
  let tokens = 0;
  const disk: MemoryBenchResult["disk"] = [];
  try {
    for (const [bi, budget] of config.budgets.entries()) {
      for (const v of config.memory) {
        const cell = await runCell(engine, ws, dir, {
          answerFrom: "memory",
          method: v.segmentation,
          placement: v.placement,
          scoring: v.scoring,
          label: v.label,
          budget,
          tokensTotal: tokens,
        });
        tokens ||= cell.tokensTotal;
        cells.push(cell.cell);
        log(line(cell.cell));
        if (budget === config.budgets[0] && v.segmentation === "dynsplit" && !v.scoring && !disk.some((d) => d.placement === v.placement))
          disk.push({
            placement: v.placement,
            bytes: cell.storeBytes,
            tokens: cell.tokensTotal,
            bytesPerKToken: (1000 * cell.storeBytes) / cell.tokensTotal,
          });
      }
      const reread = await runCell(engine, ws, dir, {
        answerFrom: "reread",
        method: "dynsplit",
        budget,
        tokensTotal: tokens,
        questions: config.rereadQuestions?.[bi],
      });
      cells.push(reread.cell);
      log(line(reread.cell));
      for (const method of config.onceMethods) {
        const once = await runCell(engine, ws, dir, {answerFrom: "once", method, budget, tokensTotal: tokens});
        cells.push(once.cell);
        log(line(once.cell));
      }
    }

    // Incremental: one file edited after the ingest; then the same workspace reopened unchanged.
    const base = {roots: [dir], budget: budgetOfValue(config.budgets[0])};
    await engine.ingest(base);
    const edited = Object.keys(ws.files).sort()[Math.floor(Object.keys(ws.files).length / 2)];
    appendFileSync(path.join(dir, edited), `${formatFact({key: "pool_margin", value: "808"})}\n`);
    const t0 = performance.now();
    const after = await engine.ingest(base);
    const ingestMs = performance.now() - t0;
    const a = await engine.ask(formatQuestion("pool_margin"));
    const incremental = {
      editedFile: edited,
      fileTokens: after.fileMap.find((f) => f.path === edited)!.tokens,
      tokensRead: after.tokensRead,
      ingestMs,
      firstTokenMs: a.firstTokenMs ?? a.totalMs,
      answerRight: a.answer === "808",
    };
    log(
      `incremental: edited ${edited} (${incremental.fileTokens} tokens) → re-read ${after.tokensRead} tokens in ${ingestMs.toFixed(0)} ms, first token ${incremental.firstTokenMs.toFixed(0)} ms, answer ${a.answer}`
    );
    const t1 = performance.now();
    const again = await engine.ingest(base);
    const reopenMs = performance.now() - t1;
    const b = await engine.ask(ws.facts[0].question);
    const reopen = {ingestMs: reopenMs, tokensRead: again.tokensRead, firstTokenMs: b.firstTokenMs ?? b.totalMs};
    log(
      `reopen: ${reopen.tokensRead} tokens read, ${reopenMs.toFixed(0)} ms; first question's first token ${reopen.firstTokenMs.toFixed(0)} ms`
    );

    const scale = config.scaleChars > 0 ? await runScale(engine, config, log) : undefined;
    return {
      workspace: {
        root: defaultRealCodeRoot(),
        files: Object.keys(ws.files).length,
        tokens,
        facts: ws.facts.length,
        distractors: ws.distractors.length,
      },
      cells,
      incremental,
      reopen,
      disk,
      scale,
    };
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}

async function runCell(
  engine: Engine,
  ws: PlantedWorkspace,
  dir: string,
  o: {
    answerFrom: AnswerFrom;
    method: string;
    placement?: Placement;
    scoring?: MemoryScoring;
    label?: string;
    budget: number;
    tokensTotal: number;
    questions?: number;
  }
): Promise<{cell: MemoryCell; tokensTotal: number; storeBytes: number}> {
  const isSegmentation = o.answerFrom === "memory";
  const method = (isSegmentation ? (o.method === "chunkkv" ? "chunkkv" : "dynsplit") : o.method) as MethodName;
  // A share of the workspace becomes its token count, so every mode gets the same context (even past what the
  // model handles; such cells are flagged).
  const budgetTokens = o.budget > 1 ? o.budget : Math.round(o.budget * (o.tokensTotal || (await probeTokens(engine, dir))));
  const t0 = performance.now();
  const facts = ws.facts.slice(0, o.questions ?? ws.facts.length);
  const s = await engine.ingest({
    roots: [dir],
    answerFrom: o.answerFrom,
    method,
    segmentation: isSegmentation ? (o.method as SegmentationName) : undefined,
    placement: o.placement,
    scoring: o.scoring,
    budget: {tokens: budgetTokens},
    question: o.answerFrom === "reread" ? facts[0].question : undefined,
    useCache: false,
  });
  const ingestMs = performance.now() - t0;
  let correct = 0;
  const first: number[] = [];
  let scoring = 0;
  let total = 0;
  let signal = "";
  for (const f of facts) {
    const a = await engine.ask(f.question);
    if (isCorrect(a.answer, f.value)) correct++;
    first.push(a.firstTokenMs ?? a.totalMs);
    scoring += a.timings.scoringMs;
    total += a.totalMs;
    signal = a.signal;
  }
  const n = facts.length;
  const cell: MemoryCell = {
    answerFrom: o.answerFrom,
    method: o.label ? `${o.method}, ${o.label}` : o.method,
    placement: o.placement,
    budgetTokens,
    budgetLabel: o.budget > 1 ? `${o.budget} tokens` : `${Math.round(o.budget * 100)} %`,
    n,
    correct,
    accuracy: correct / n,
    ci95: wilson(correct, n),
    meanFirstTokenMs: first.reduce((x, y) => x + y, 0) / n,
    medianFirstTokenMs: [...first].sort((x, y) => x - y)[Math.floor(n / 2)],
    meanScoringMs: scoring / n,
    meanTotalMs: total / n,
    ingestMs,
    tokensRead: s.tokensRead,
    signal,
    beyondModelContext: s.beyondModelContext != null || budgetTokens > (engine.modelInfo?.handlesContextTokens ?? Infinity),
  };
  return {cell, tokensTotal: s.tokensTotal, storeBytes: s.store?.bytes ?? 0};
}

async function probeTokens(engine: Engine, dir: string): Promise<number> {
  return (await engine.ingest({roots: [dir], budget: {tokens: 512}, useCache: false})).tokensTotal;
}

/** A large workspace through a fresh worker: ingest throughput against plain prefill, peak RSS, store bytes, scoring share. */
async function runScale(engine: Engine, config: MemoryBenchConfig, log: (l: string) => void): Promise<ScaleResult> {
  const ws = plantFacts(realCodeFiles({chars: config.scaleChars, seed: (config.seed ?? 1) + 100, maxFileChars: 120_000}), {
    facts: 20,
    seed: 7,
  });
  const dir = writeFiles(ws.files);
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), "dynsplit-scale-"));
  const client = new EngineClient(config.worker.path, {...config.worker.engine, cacheDir});
  try {
    await client.request("loadModel", {model: "bundled"});
    const t0 = performance.now();
    const s = await client.request("ingest", {roots: [dir], budget: {tokens: 2048}});
    const ingestMs = performance.now() - t0;
    let first = 0;
    let scoring = 0;
    let total = 0;
    for (const f of ws.facts) {
      const a = await client.request("ask", {question: f.question});
      first += a.firstTokenMs ?? a.totalMs;
      scoring += a.timings.scoringMs;
      total += a.totalMs;
    }
    const status = await client.request("status", {});
    const t1 = performance.now();
    await client.request("ingest", {roots: [dir], budget: {tokens: 2048}});
    const reopenMs = performance.now() - t1;
    const plain = await plainPrefillTokPerS(engine, ws.files, 2048);
    const ingestTokPerS = s.tokensRead / (ingestMs / 1000);
    const r: ScaleResult = {
      files: s.files,
      tokens: s.tokensRead,
      ingestMs,
      ingestTokPerS,
      plainPrefillTokPerS: plain,
      throughputRatio: ingestTokPerS / plain,
      storeBytes: s.store?.bytes ?? 0,
      peakRssMiB: status.maxRssBytes / 2 ** 20,
      questions: ws.facts.length,
      meanFirstTokenMs: first / ws.facts.length,
      meanScoringMs: scoring / ws.facts.length,
      scoringShare: scoring / total,
      reopenMs,
    };
    log(
      `scale: ${r.files} files, ${r.tokens} tokens ingested in ${(ingestMs / 1000).toFixed(1)} s (${ingestTokPerS.toFixed(0)} tok/s; plain prefill ${plain.toFixed(0)} tok/s → ${(100 * r.throughputRatio).toFixed(1)} %), store ${(r.storeBytes / 2 ** 20).toFixed(0)} MiB, peak RSS ${r.peakRssMiB.toFixed(0)} MiB, scoring ${(100 * r.scoringShare).toFixed(1)} % of a question`
    );
    return r;
  } finally {
    await client.stop();
    rmSync(dir, {recursive: true, force: true});
    rmSync(cacheDir, {recursive: true, force: true});
  }
}

/**
 * Plain prefill of the same files in windows of the same size (BOS, then up to window − 2 tokens, erased after each):
 * what llama.cpp does at that context size without any of the store's work.
 */
async function plainPrefillTokPerS(engine: Engine, files: Record<string, string>, windowTokens: number): Promise<number> {
  return engine.plainPrefillTokPerS(
    Object.entries(files)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([p, content]) => ({path: p, content})),
    windowTokens
  );
}

function writeFiles(files: Record<string, string>): string {
  return writeFilesToTempDir(files, "dynsplit-bench-ws-");
}

function line(c: MemoryCell): string {
  const mode = `${c.answerFrom}${c.placement ? `/${c.placement}` : ""}`;
  return `${mode.padEnd(16)} ${c.method.padEnd(9)} ${c.budgetLabel.padEnd(12)} ${(100 * c.accuracy).toFixed(0).padStart(3)}% (${c.correct}/${c.n}) · first token ${c.meanFirstTokenMs.toFixed(0)} ms · ingest ${(c.ingestMs / 1000).toFixed(1)} s${c.beyondModelContext ? " · beyond the model's context" : ""}`;
}

export function renderMemoryReport(r: MemoryBenchResult, meta: Record<string, string>): string {
  const out = [
    `# Repository memory benchmark`,
    "",
    `${meta.date} · ${meta.machine} · node ${meta.node} · commit ${meta.commit} · model ${meta.model}`,
    "",
  ];
  out.push(
    `Workspace: ${r.workspace.files} files of real code from ${r.workspace.root} (${r.workspace.tokens} tokens with the bundled tokenizer), ${r.workspace.facts} planted facts and ${r.workspace.distractors} distractors sharing their keys' prefix or suffix; every fact asked after one ingest.`,
    ""
  );
  const budgets = [...new Set(r.cells.map((c) => c.budgetLabel))];
  for (const b of budgets) {
    const cs = r.cells.filter((c) => c.budgetLabel === b);
    out.push(
      `## Budget ${b} (${cs[0].budgetTokens} tokens)`,
      "",
      "| mode | blocks / method | scored by | accuracy [95 % CI] | n | first token (mean / median) | scoring | ingest |",
      "|---|---|---|---|---|---|---|---|"
    );
    for (const c of cs)
      out.push(
        `| ${c.answerFrom}${c.placement ? ` (${c.placement})` : ""} | ${c.method} | ${c.signal} | ${(100 * c.accuracy).toFixed(0)} % [${(100 * c.ci95[0]).toFixed(0)}–${(100 * c.ci95[1]).toFixed(0)}] | ${c.n} | ${c.meanFirstTokenMs.toFixed(0)} / ${c.medianFirstTokenMs.toFixed(0)} ms | ${c.meanScoringMs.toFixed(1)} ms | ${(c.ingestMs / 1000).toFixed(1)} s |`
      );
    const mem = cs.find((c) => c.answerFrom === "memory" && c.method === "dynsplit" && c.placement === "restore");
    const memPrefill = cs.find((c) => c.answerFrom === "memory" && c.method === "dynsplit" && c.placement === "prefill");
    const rr = cs.find((c) => c.answerFrom === "reread");
    if (mem && rr)
      out.push(
        "",
        `Time to first token, memory / reread: ${(mem.meanFirstTokenMs / rr.meanFirstTokenMs).toExponential(2)} with restore (1/${(rr.meanFirstTokenMs / mem.meanFirstTokenMs).toFixed(0)})` +
          (memPrefill
            ? `, ${(memPrefill.meanFirstTokenMs / rr.meanFirstTokenMs).toExponential(2)} with prefill (1/${(rr.meanFirstTokenMs / memPrefill.meanFirstTokenMs).toFixed(0)})`
            : "") +
          `; accuracy memory ${(100 * mem.accuracy).toFixed(0)} % vs reread ${(100 * rr.accuracy).toFixed(0)} %${cs[0].beyondModelContext ? " (this budget is beyond the 4,000 tokens the bundled model handles)" : ""}.`
      );
    out.push("");
  }
  if (r.incremental)
    out.push(
      `**Incremental**: after editing ${r.incremental.editedFile} (${r.incremental.fileTokens} tokens) the next ingest read ${r.incremental.tokensRead} tokens in ${r.incremental.ingestMs.toFixed(0)} ms; the question on the edit got its first token after ${r.incremental.firstTokenMs.toFixed(0)} ms and was answered ${r.incremental.answerRight ? "right" : "wrong"}.`,
      ""
    );
  if (r.reopen)
    out.push(
      `**Reopen**: the unchanged workspace read ${r.reopen.tokensRead} tokens (${r.reopen.ingestMs.toFixed(0)} ms, model already loaded); its first question's first token came after ${r.reopen.firstTokenMs.toFixed(0)} ms.`,
      ""
    );
  if (r.disk.length) {
    out.push("**Disk**: ", "");
    for (const d of r.disk)
      out.push(
        `- ${d.placement} store: ${(d.bytes / 2 ** 20).toFixed(1)} MiB for ${d.tokens} tokens = ${(d.bytesPerKToken / 1024).toFixed(1)} KiB per 1k tokens`
      );
    out.push("");
  }
  if (r.scale) {
    const s = r.scale;
    out.push(
      `**Scale**: ${s.files} files, ${s.tokens} tokens ingested in ${(s.ingestMs / 1000).toFixed(1)} s = ${s.ingestTokPerS.toFixed(0)} tok/s against ${s.plainPrefillTokPerS.toFixed(0)} tok/s of plain prefill in the same 2,048-token windows (${(100 * s.throughputRatio).toFixed(1)} %); store ${(s.storeBytes / 2 ** 20).toFixed(0)} MiB; peak worker RSS ${s.peakRssMiB.toFixed(0)} MiB; ${s.questions} questions: first token ${s.meanFirstTokenMs.toFixed(0)} ms on average, scoring all blocks ${s.meanScoringMs.toFixed(1)} ms = ${(100 * s.scoringShare).toFixed(1)} % of a question's time; reopen ${(s.reopenMs / 1000).toFixed(1)} s.`,
      ""
    );
  }
  return out.join("\n");
}
