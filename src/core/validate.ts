import {DynSplitInputError} from "./errors";
import type {Budget, CommonOptions, CompressionInput} from "./types";

export const DEFAULT_SINK_TOKENS = 4;
export const DEFAULT_RECENT_WINDOW = 64;

/** Checks the shared input invariants once, so every method can trust its input. Returns the token count. */
export function validateInput(input: CompressionInput): number {
  const n = input.tokenTexts?.length ?? 0;
  if (n === 0) throw new DynSplitInputError("empty input: there are no tokens to compress");
  checkArrayLength("tokenIds", input.tokenIds, n);
  checkArrayLength("positions", input.positions, n);
  checkArrayLength("pinned", input.pinned, n);
  if (input.positions) {
    for (let i = 0; i < n; i++) {
      const p = input.positions[i];
      if (!Number.isInteger(p) || p < 0 || (i > 0 && p <= input.positions[i - 1]))
        throw new DynSplitInputError(`positions must be non-negative integers in strictly increasing order (index ${i})`);
    }
  }
  const signal = input.signal;
  if (signal) {
    checkSignal("signal.tokenScores", signal.tokenScores, n);
    if (signal.localMass || signal.distantMass) {
      if (!signal.localMass || !signal.distantMass)
        throw new DynSplitInputError("signal.localMass and signal.distantMass must be given together");
      checkSignal("signal.localMass", signal.localMass, n);
      checkSignal("signal.distantMass", signal.distantMass, n);
    }
  }
  if (input.forcedStarts) {
    for (const s of input.forcedStarts)
      if (!Number.isInteger(s) || s < 0 || s >= n) throw new DynSplitInputError(`forcedStarts holds ${s}, outside 0..${n - 1}`);
  }
  resolveBudget(input.budget, n);
  return n;
}

/** Number of tokens the budget allows for `n` input tokens (at least 1, at most n). */
export function resolveBudget(budget: Budget, n: number): number {
  if (budget == null || typeof budget !== "object") throw new DynSplitInputError("budget is required: {ratio} in (0, 1] or {tokens} > 0");
  if ("ratio" in budget) {
    const r = budget.ratio;
    if (typeof r !== "number" || !Number.isFinite(r) || r <= 0 || r > 1)
      throw new DynSplitInputError(`budget ratio must be in (0, 1], got ${r}`);
    return Math.max(1, Math.min(n, Math.floor(r * n)));
  }
  if ("tokens" in budget) {
    const t = budget.tokens;
    if (typeof t !== "number" || !Number.isInteger(t) || t <= 0)
      throw new DynSplitInputError(`budget tokens must be a positive integer, got ${t}`);
    return Math.min(n, t);
  }
  throw new DynSplitInputError("budget must be {ratio} in (0, 1] or {tokens} > 0");
}

/**
 * The tokens every method must keep: the first `nSink` tokens (token 0 always), the last `recentWindow`
 * tokens and the caller's pinned tokens. Throws if they alone exceed the budget: silently dropping a sink
 * or the question would break the model, so the caller must choose a larger budget or a smaller window.
 */
export function requiredTokens(input: CompressionInput, n: number, options: CommonOptions, keepCount: number): Uint8Array {
  const nSink = clampCount("nSink", options.nSink ?? DEFAULT_SINK_TOKENS, n);
  const recent = clampCount("recentWindow", options.recentWindow ?? DEFAULT_RECENT_WINDOW, n);
  const required = new Uint8Array(n);
  required[0] = 1;
  for (let i = 0; i < nSink; i++) required[i] = 1;
  for (let i = n - recent; i < n; i++) required[i] = 1;
  if (input.pinned) for (let i = 0; i < n; i++) if (input.pinned[i]) required[i] = 1;
  let count = 0;
  for (let i = 0; i < n; i++) count += required[i];
  if (count > keepCount)
    throw new DynSplitInputError(
      `budget of ${keepCount} tokens is smaller than the tokens that must be kept (${count}: ${nSink} sinks, ` +
        `a recent window of ${recent}, and pinned tokens); raise the budget or shrink the recent window`
    );
  return required;
}

export function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v <= 0) throw new DynSplitInputError(`${name} must be a positive integer, got ${v}`);
  return v;
}

export function finiteNumber(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new DynSplitInputError(`${name} must be a finite number, got ${v}`);
  return v;
}

function clampCount(name: string, value: number, n: number): number {
  if (!Number.isInteger(value) || value < 0) throw new DynSplitInputError(`${name} must be a non-negative integer, got ${value}`);
  return Math.min(value, n);
}

function checkArrayLength(name: string, arr: ArrayLike<unknown> | undefined, n: number) {
  if (arr != null && arr.length !== n) throw new DynSplitInputError(`${name} has ${arr.length} entries but there are ${n} tokens`);
}

function checkSignal(name: string, arr: Float32Array, n: number) {
  if (!(arr instanceof Float32Array)) throw new DynSplitInputError(`${name} must be a Float32Array`);
  if (arr.length !== n) throw new DynSplitInputError(`${name} has ${arr.length} entries but there are ${n} tokens`);
  for (let i = 0; i < n; i++)
    if (!Number.isFinite(arr[i])) throw new DynSplitInputError(`${name}[${i}] is ${arr[i]}: signals must be finite numbers`);
}
