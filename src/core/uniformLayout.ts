import {DynSplitInputError} from "./errors";
import type {BlockAggregate} from "./types";

/**
 * Uniform mapping: variable-length blocks laid out in fixed slots of `slot` (= C+Δ, the longest block DD-Select
 * can form) cells. Padding cells hold the neutral element of the aggregate (0 for sum/mean, −∞ for max), so
 * block scoring is one dense, branch-free pass over a Float32Array instead of a loop over ragged arrays.
 */
export interface UniformLayout {
  nBlocks: number;
  slot: number;
  aggregate: BlockAggregate;
  /** nBlocks × slot values, row-major. */
  values: Float32Array;
  /** Valid cells per block (the block length). */
  lengths: Int32Array;
}

export function buildUniformLayout(offsets: Int32Array, tokenScores: Float32Array, slot: number, aggregate: BlockAggregate): UniformLayout {
  const nBlocks = offsets.length - 1;
  const values = new Float32Array(nBlocks * slot);
  if (aggregate === "max") values.fill(-Infinity);
  const lengths = new Int32Array(nBlocks);
  for (let b = 0; b < nBlocks; b++) {
    const start = offsets[b];
    const len = offsets[b + 1] - start;
    if (len > slot) throw new DynSplitInputError(`block ${b} has ${len} tokens, more than the slot of ${slot}`);
    lengths[b] = len;
    values.set(tokenScores.subarray(start, start + len), b * slot);
  }
  return {nBlocks, slot, aggregate, values, lengths};
}

/** One dense pass: the score of every block. */
export function scoreUniformLayout(layout: UniformLayout): Float32Array {
  const {nBlocks, slot, values, lengths, aggregate} = layout;
  const out = new Float32Array(nBlocks);
  if (aggregate === "max") {
    for (let b = 0, base = 0; b < nBlocks; b++, base += slot) {
      let m = -Infinity;
      for (let k = 0; k < slot; k++) {
        const v = values[base + k];
        m = v > m ? v : m;
      }
      out[b] = m;
    }
    return out;
  }
  for (let b = 0, base = 0; b < nBlocks; b++, base += slot) {
    let sum = 0;
    for (let k = 0; k < slot; k++) sum += values[base + k];
    out[b] = aggregate === "mean" ? sum / Math.max(1, lengths[b]) : sum;
  }
  return out;
}

/** Convenience: lay out and score in one call. */
export function scoreBlocks(offsets: Int32Array, tokenScores: Float32Array, aggregate: BlockAggregate): Float32Array {
  let slot = 1;
  for (let b = 0; b + 1 < offsets.length; b++) slot = Math.max(slot, offsets[b + 1] - offsets[b]);
  return scoreUniformLayout(buildUniformLayout(offsets, tokenScores, slot, aggregate));
}
