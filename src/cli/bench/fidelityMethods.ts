/**
 * What the fidelity bench compares, each as a labelled cell: the full cache, the baselines with the settings of their
 * papers (ChunkKV at 10 and 20 tokens; SnapKV as kvpress runs it, window 64 and pooling kernel 5), DynSplit and its
 * ablations (C, Δ, α, uniform mapping off), and the repository memory (one block store, a context chosen per question).
 */
import type {Placement} from "../../core/answerModes";
import type {SegmentationName} from "../../core/blockSegmenter";
import type {MethodOptions} from "../../core/methods/registry";
import type {MethodName} from "../../core/types";

export interface MethodCell {
  /** The row label in tables and plots (unique within a suite). */
  label: string;
  method: MethodName;
  role: "reference" | "baseline" | "dynsplit" | "ablation" | "memory";
  options?: MethodOptions;
  /** Query-agnostic attention: queries per chunk in the observation window (the engine's 32 otherwise). */
  observationWindow?: number;
  /** Repository memory: how the store cuts blocks and how they enter the context. */
  memory?: {segmentation: SegmentationName; placement?: Placement};
}

export const FULL_CACHE: MethodCell = {label: "full cache", method: "full", role: "reference"};
export const DYNSPLIT: MethodCell = {label: "dynsplit", method: "dynsplit", role: "dynsplit"};

export const BASELINES: readonly MethodCell[] = [
  {label: "chunkkv (10)", method: "chunkkv", role: "baseline", options: {chunkSize: 10}},
  {label: "chunkkv (20)", method: "chunkkv", role: "baseline", options: {chunkSize: 20}},
  {label: "snapkv", method: "snapkv", role: "baseline", options: {kernelSize: 5}, observationWindow: 64},
  {label: "delimiter", method: "delimiter", role: "baseline"},
  {label: "streaming", method: "streaming", role: "baseline"},
  {label: "random", method: "random", role: "baseline"},
];

/** DynSplit with one setting changed from its defaults (C 16, Δ 8, α 1, uniform mapping on). */
export const ABLATIONS: readonly MethodCell[] = [
  {label: "dynsplit C=8 Δ=4", method: "dynsplit", role: "ablation", options: {blockSize: 8, tolerance: 4}},
  {label: "dynsplit C=32 Δ=16", method: "dynsplit", role: "ablation", options: {blockSize: 32, tolerance: 16}},
  {label: "dynsplit Δ=0", method: "dynsplit", role: "ablation", options: {tolerance: 0}},
  {label: "dynsplit α=0", method: "dynsplit", role: "ablation", options: {alpha: 0}},
  {label: "dynsplit α=4", method: "dynsplit", role: "ablation", options: {alpha: 4}},
  {label: "dynsplit, uniform mapping off", method: "dynsplit", role: "ablation", options: {uniformMapping: false}},
];

/** The repository memory's segmentations, each placed as the engine chooses (restore where the model allows it). */
export const MEMORY_CELLS: readonly MethodCell[] = [
  {label: "memory: dynsplit blocks", method: "dynsplit", role: "memory", memory: {segmentation: "dynsplit"}},
  {label: "memory: chunkkv chunks", method: "chunkkv", role: "memory", memory: {segmentation: "chunkkv"}},
  {label: "memory: 16-token pages", method: "dynsplit", role: "memory", memory: {segmentation: "pages"}},
];

/**
 * The baseline to draw next to DynSplit in the heat map: the most accurate at `budget`, then over all budgets, then
 * the first in `candidates` (so a tie, e.g. all at zero, still gives one answer).
 */
export function strongestBaseline(
  rows: readonly {label: string; budget: number; accuracy: number}[],
  budget: number,
  candidates: readonly string[] = BASELINES.map((b) => b.label)
): string {
  const mean = (label: string, at?: number) => {
    const rs = rows.filter((r) => r.label === label && (at == null || r.budget === at));
    return rs.length ? rs.reduce((a, r) => a + r.accuracy, 0) / rs.length : -1;
  };
  let best = candidates[0];
  for (const c of candidates.slice(1)) {
    const [a, b] = [mean(c, budget), mean(best, budget)];
    if (a > b || (a === b && mean(c) > mean(best))) best = c;
  }
  return best;
}
