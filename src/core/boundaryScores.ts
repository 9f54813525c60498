import type {DdSelectInput, ImportanceSignal} from "./types";

/** Which of the three forms of `boundaryScores` below a signal gets (the same tests, in the same order). */
export function ddSelectInput(signal: ImportanceSignal | undefined): DdSelectInput {
  if (signal?.localMass && signal.distantMass) return "attention";
  return signal ? "contrast-fallback" : "structure";
}

export interface BoundaryScoreOptions {
  /** Weight of the distant attention mass (attention signal) or of the importance cut through (token signal). */
  alpha: number;
  /** How many tokens on each side of a candidate the score looks at (`|F_i|` in the paper). */
  window: number;
  /** Weight of the structural delimiter strength (0..3 scaled to 0..1); breaks near-ties. */
  structureWeight: number;
}

/**
 * Boundary weight `w_i` of cutting after token i (only meaningful where `strengths[i] > 0`).
 *
 * With an attention probe (`localMass`/`distantMass`), this is DynSplit's delimiter importance
 *   s_i = mean over queries q in (i, i+F] of ( localMass_q − α · distantMass_q ):
 * tokens right after the cut that attend to their neighbourhood rather than to distant context make i a cheap
 * cut, because a block starting there carries the context its tokens need.
 *
 * With only a per-token signal (key norm, surprisal, observation-window attention) we use a contrast:
 *   s_i = | mean z(i−F, i] − mean z(i, i+F] |  −  α · ( max(z_i, 0) + max(z_{i+1}, 0) ) / 2
 * where z is the signal standardised over the input. A good cut separates spans of different importance (so
 * block scores discriminate) and does not run through important tokens (which would split them across a kept
 * and an evicted block).
 *
 * Without any signal, s_i = 0 and the structural strength alone decides.
 * Either way `w_i = s_i + structureWeight · strength_i / 3`.
 */
export function boundaryScores(strengths: Uint8Array, signal: ImportanceSignal | undefined, options: BoundaryScoreOptions): Float32Array {
  const n = strengths.length;
  const w = new Float32Array(n);
  const F = Math.max(1, Math.floor(options.window));
  if (signal?.localMass && signal.distantMass) {
    const prefix = new Float64Array(n + 1);
    for (let q = 0; q < n; q++) prefix[q + 1] = prefix[q] + signal.localMass[q] - options.alpha * signal.distantMass[q];
    for (let i = 0; i < n; i++) {
      const hi = Math.min(n, i + 1 + F);
      w[i] = hi > i + 1 ? (prefix[hi] - prefix[i + 1]) / (hi - i - 1) : 0;
    }
  } else if (signal) {
    const z = standardise(signal.tokenScores);
    const prefix = new Float64Array(n + 1);
    for (let k = 0; k < n; k++) prefix[k + 1] = prefix[k] + z[k];
    for (let i = 0; i < n; i++) {
      const lo = Math.max(0, i + 1 - F);
      const hi = Math.min(n, i + 1 + F);
      const left = (prefix[i + 1] - prefix[lo]) / (i + 1 - lo);
      const right = hi > i + 1 ? (prefix[hi] - prefix[i + 1]) / (hi - i - 1) : left;
      const through = (Math.max(z[i], 0) + (i + 1 < n ? Math.max(z[i + 1], 0) : 0)) / 2;
      w[i] = Math.abs(left - right) - options.alpha * through;
    }
  }
  for (let i = 0; i < n; i++) w[i] += (options.structureWeight * strengths[i]) / 3;
  return w;
}

/** (x − mean) / std; a constant signal becomes all zeros. */
export function standardise(x: Float32Array): Float32Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i] - mean) ** 2;
  const std = Math.sqrt(variance / n);
  const z = new Float32Array(n);
  if (std > 1e-12) for (let i = 0; i < n; i++) z[i] = (x[i] - mean) / std;
  return z;
}
