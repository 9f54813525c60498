/**
 * What one fidelity run measures, sized for a 2-core CPU: the quick default (about two minutes) and the full run
 * (n ≥ 100 answers per cell, about half an hour with the bundled model), each scaled by --cases and --contexts.
 * Every compression is a separate streamed read of its context (the methods compress while reading, so no two share
 * a prefill); the sizes below are chosen by what those reads cost.
 */
import {ABLATIONS, BASELINES, DYNSPLIT, FULL_CACHE, MEMORY_CELLS, type MethodCell} from "./fidelityMethods";

export const FIDELITY_SUITES = ["query-aware", "agnostic", "heatmap"] as const;
export type FidelitySuite = (typeof FIDELITY_SUITES)[number];

export interface SuiteCells {
  /** Budgets (shares of the tokens read) every method runs at; the full cache runs once. */
  budgets: number[];
  methods: MethodCell[];
  /** DynSplit ablations, at these budgets only. */
  ablations: MethodCell[];
  ablationBudgets: number[];
}

export interface FidelityPlan {
  mode: "quick" | "full";
  /** One needle per context, compressed for its value question; its value and its file are asked. */
  queryAware?: SuiteCells & {cases: number; contextTokens: number};
  /** Many facts per context, compressed once without any question, then all asked (values and files). */
  agnostic?: SuiteCells & {workspaces: number; facts: number; contextTokens: number};
  /** Needle depth × context length for DynSplit, the strongest query-aware baseline and the full cache. */
  heatmap?: {
    contexts: number[];
    perCell: number;
    budget: number;
    depthBuckets: number;
    /** The baseline drawn, when named; otherwise the most accurate query-aware baseline of the same run. */
    baseline?: string;
  };
}

export interface PlanOptions {
  full: boolean;
  /** Answers per cell (query-aware cases; agnostic questions, rounded up to whole workspaces; heat-map row). */
  cases?: number;
  /** Heat-map context lengths. */
  contexts?: number[];
  only?: readonly FidelitySuite[];
  /** The heat map's baseline (a BASELINES label), for a heat map run apart from the query-aware suite. */
  heatmapBaseline?: string;
}

const FACTS_PER_WORKSPACE = 10;

export function fidelityPlan(o: PlanOptions): FidelityPlan {
  const cases = o.cases ?? (o.full ? 100 : 10);
  const wants = (s: FidelitySuite) => !o.only || o.only.includes(s);
  const methods = [FULL_CACHE, DYNSPLIT, ...BASELINES];
  const budgets = o.full ? [0.1, 0.2, 0.3] : [0.1, 0.3];
  const plan: FidelityPlan = {mode: o.full ? "full" : "quick"};
  if (wants("query-aware"))
    plan.queryAware = {
      cases,
      contextTokens: o.full ? 2048 : 1024,
      budgets,
      methods,
      ablations: [...ABLATIONS],
      ablationBudgets: [0.1],
    };
  if (wants("agnostic"))
    plan.agnostic = {
      workspaces: Math.max(1, Math.ceil(cases / FACTS_PER_WORKSPACE)),
      facts: FACTS_PER_WORKSPACE,
      contextTokens: o.full ? 4096 : 2048,
      budgets: o.full ? budgets : [0.2],
      methods: [...methods, ...(o.full ? MEMORY_CELLS : MEMORY_CELLS.slice(0, 1))],
      ablations: [...ABLATIONS],
      ablationBudgets: [0.2],
    };
  if (wants("heatmap"))
    plan.heatmap = {
      contexts: o.contexts ?? (o.full ? [1024, 2048, 4096, 8192] : [1024, 2048]),
      perCell: Math.max(1, Math.round(cases / 5)),
      budget: 0.1,
      depthBuckets: 5,
      ...(o.heatmapBaseline ? {baseline: o.heatmapBaseline} : {}),
    };
  return plan;
}

/** Every cell of a suite: each method at each budget (the full cache once), then the ablations. */
export function suiteCells(s: SuiteCells): {cell: MethodCell; budget: number}[] {
  const out: {cell: MethodCell; budget: number}[] = [];
  for (const cell of s.methods) for (const budget of cell.role === "reference" ? [1] : s.budgets) out.push({cell, budget});
  for (const cell of s.ablations) for (const budget of s.ablationBudgets) out.push({cell, budget});
  return out;
}

/** Methods drawn in the heat map: DynSplit, the chosen baseline, the full cache. */
export const HEATMAP_METHODS = 3;

/**
 * The reads a plan makes and the tokens they prefill (target sizes), and the questions asked: what the progress
 * line's ETA is measured against.
 */
export function plannedWork(plan: FidelityPlan): {reads: number; tokens: number; questions: number} {
  let reads = 0;
  let tokens = 0;
  let questions = 0;
  if (plan.queryAware) {
    const n = suiteCells(plan.queryAware).length * plan.queryAware.cases;
    reads += n;
    tokens += n * plan.queryAware.contextTokens;
    questions += 2 * n;
  }
  if (plan.agnostic) {
    const n = suiteCells(plan.agnostic).length * plan.agnostic.workspaces;
    reads += n;
    tokens += n * plan.agnostic.contextTokens;
    questions += 2 * n * plan.agnostic.facts;
  }
  if (plan.heatmap) {
    const perContext = HEATMAP_METHODS * plan.heatmap.perCell * plan.heatmap.depthBuckets;
    reads += perContext * plan.heatmap.contexts.length;
    tokens += perContext * plan.heatmap.contexts.reduce((a, c) => a + c, 0);
    questions += perContext * plan.heatmap.contexts.length;
  }
  return {reads, tokens, questions};
}
