/**
 * How large a context a question gets, and how the compressed stream is paced: pure functions of the workspace's
 * size, the budget asked for and what the model handles, shared by the repository memory and the compressed
 * stream so that one budget means the same in every mode.
 */
import {DynSplitInputError} from "./errors";
import type {Budget} from "./types";
import {DEFAULT_RECENT_WINDOW, DEFAULT_SINK_TOKENS, resolveBudget} from "./validate";

/** A ratio budget never goes below this (or the whole workspace, when smaller). */
export const MIN_RATIO_BUDGET_TOKENS = 512;

/**
 * Ratio budgets are floored at a usable context (the whole workspace when it is smaller: a small workspace is read
 * whole) and capped at what the model handles minus the answer's room; token and exact budgets are used as set.
 */
export function planBudget(budget: Budget, tokensTotal: number, model: {handlesContextTokens: number; maxAnswerTokens: number}): number {
  if ("tokens" in budget) return resolveBudget(budget, Math.max(budget.tokens, 1));
  const wanted = resolveBudget(budget, Math.max(1, tokensTotal));
  if (budget.exact) return wanted;
  const floor = Math.min(tokensTotal, MIN_RATIO_BUDGET_TOKENS);
  const cap = Math.max(floor, model.handlesContextTokens - model.maxAnswerTokens - 64);
  return Math.max(1, Math.min(Math.max(wanted, floor), cap));
}

export interface StreamPlanInput {
  budget: Budget;
  /** Every token of the documents, their file headers included. */
  documentTokens: number;
  /** Of which file headers (always kept, so a kept block knows its file). */
  headerTokens: number;
  /** The prompt before the documents (always kept). */
  promptTokens: number;
  files: number;
  nSink?: number;
  recentWindow?: number;
  /** Tokens prefilled between compressions; a quarter of the budget by default. */
  chunkTokens?: number;
  /** The question's observation tokens, when the question is known at ingest. */
  questionTokens?: number;
  maxAnswerTokens: number;
  handlesContextTokens: number;
  /** The full cache keeps every token: its budget is the whole workspace, whatever was asked. */
  keepsEverything?: boolean;
}

export interface StreamPlan {
  budgetTokens: number;
  chunkTokens: number;
  /** Room for the question and the answer, on top of budget + chunk. */
  reserveTokens: number;
  nSink: number;
  /** The recent window, at most a quarter of the budget. */
  recentWindow: number;
  /** The context allocated: budget + chunk + reserve. */
  contextSize: number;
  /** The prompt and every document token: what a full cache holds. */
  wholeTokens: number;
}

/** The compressed stream's plan (once / reread); throws when the pinned tokens alone exceed a token budget. */
export function planStream(o: StreamPlanInput): StreamPlan {
  const whole = o.documentTokens + o.promptTokens;
  const pinned = o.headerTokens + o.promptTokens;
  const budgetTokens = o.keepsEverything ? whole : Math.min(whole, planBudget(o.budget, whole, o));
  const nSink = o.nSink ?? DEFAULT_SINK_TOKENS;
  const recentWindow = Math.min(o.recentWindow ?? DEFAULT_RECENT_WINDOW, Math.floor(budgetTokens / 4));
  if (budgetTokens < whole && pinned + nSink + recentWindow > budgetTokens)
    throw new DynSplitInputError(
      `the workspace is too large for the budget: its ${o.files} file headers alone need ${pinned} tokens, ` +
        `the budget is ${budgetTokens}; raise the budget, exclude folders, or answer from the repository memory (--answer-from memory)`
    );
  // A compression every quarter budget: each costs O(budget), so compression work per token read stays constant
  // whatever the budget, while the context (budget + chunk) grows by a quarter only.
  const chunkTokens = o.chunkTokens ?? Math.max(64, Math.floor(budgetTokens / 4));
  const reserveTokens = (o.questionTokens ?? 64) + o.maxAnswerTokens + 16;
  return {
    budgetTokens,
    chunkTokens,
    reserveTokens,
    nSink,
    recentWindow,
    contextSize: budgetTokens + chunkTokens + reserveTokens,
    wholeTokens: whole,
  };
}
