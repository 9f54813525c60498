import {DynSplitInputError} from "./errors";

export interface SegmentationOptions {
  /** Base block size `C` in tokens. */
  blockSize: number;
  /** Tolerance `Δ`: block lengths stay in [C−Δ, C+Δ] except at the ends (input end, forced starts). */
  tolerance: number;
  /** Token indices where a new block must start (file starts). */
  forcedStarts?: readonly number[];
}

/**
 * DD-Select, DynSplit's dynamic delimiter selection: greedy, left to right. From block start s the ideal end
 * is s + C; among the candidate delimiters whose cut gives a length in [C−Δ, C+Δ] take the one with the highest
 * boundary weight (ties: nearest to the ideal length, then the earlier one). No candidate in range: cut at s + C.
 *
 * Returns CSR-style block offsets: block b is tokens [offsets[b], offsets[b+1]); offsets[last] = n.
 */
export function ddSelect(strengths: Uint8Array, weights: Float32Array, options: SegmentationOptions): Int32Array {
  const n = strengths.length;
  const {blockSize: C, tolerance: D} = checkSegmentation(options);
  const forced = sortedForcedStarts(options.forcedStarts, n);
  const offsets: number[] = [0];
  let s = 0;
  let f = 0; // index into forced of the first forced start > s
  while (s < n) {
    while (f < forced.length && forced[f] <= s) f++;
    const limit = f < forced.length ? forced[f] : n; // the block may not cross this
    let end: number;
    if (limit - s <= C + D) {
      end = limit; // the rest of the input or of the file fits one block
    } else {
      const ideal = s + C - 1; // boundary token index for a block of exactly C
      const lo = s + C - D - 1;
      const hi = s + C + D - 1;
      let best = -1;
      for (let i = lo; i <= hi; i++) {
        if (strengths[i] === 0) continue;
        if (best < 0 || weights[i] > weights[best] || (weights[i] === weights[best] && Math.abs(i - ideal) < Math.abs(best - ideal)))
          best = i;
      }
      end = best >= 0 ? best + 1 : s + C;
    }
    offsets.push(end);
    s = end;
  }
  return Int32Array.from(offsets);
}

/** ChunkKV's fixed-size chunks (still cut at forced starts, so chunks never span two files). */
export function fixedChunks(n: number, chunkSize: number, forcedStarts?: readonly number[]): Int32Array {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new DynSplitInputError(`chunkSize must be a positive integer, got ${chunkSize}`);
  const forced = sortedForcedStarts(forcedStarts, n);
  const offsets: number[] = [0];
  let s = 0;
  let f = 0;
  while (s < n) {
    while (f < forced.length && forced[f] <= s) f++;
    const limit = f < forced.length ? forced[f] : n;
    s = Math.min(limit, s + chunkSize);
    offsets.push(s);
  }
  return Int32Array.from(offsets);
}

export function checkSegmentation(options: SegmentationOptions): {blockSize: number; tolerance: number} {
  const C = options.blockSize;
  const D = options.tolerance;
  if (!Number.isInteger(C) || C < 1) throw new DynSplitInputError(`blockSize C must be a positive integer, got ${C}`);
  if (!Number.isInteger(D) || D < 0 || D >= C)
    throw new DynSplitInputError(`tolerance Δ must be an integer in [0, C), got ${D} with C = ${C}`);
  return {blockSize: C, tolerance: D};
}

function sortedForcedStarts(forcedStarts: readonly number[] | undefined, n: number): number[] {
  if (!forcedStarts || forcedStarts.length === 0) return [];
  return [...new Set(forcedStarts.filter((s) => s > 0 && s < n))].sort((a, b) => a - b);
}
