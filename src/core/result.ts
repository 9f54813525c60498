import {maskToRanges} from "./ranges";
import {countOnes} from "./selection";
import type {BlockInfo, CompressionInput, CompressionResult} from "./types";

/** Builds the common result from a keep mask and the blocks a method formed. */
export function buildResult(
  method: string,
  input: CompressionInput,
  keep: Uint8Array,
  offsets: Int32Array,
  blockScores?: Float32Array
): CompressionResult {
  const blocks: BlockInfo[] = [];
  for (let b = 0; b + 1 < offsets.length; b++) {
    const start = offsets[b];
    const end = offsets[b + 1];
    let kept = 0;
    for (let t = start; t < end; t++) kept += keep[t];
    blocks.push({start, end, score: blockScores ? blockScores[b] : 0, keptTokens: kept, boundary: input.tokenTexts[end - 1] ?? ""});
  }
  return {
    method,
    keep,
    keptTokens: countOnes(keep),
    totalTokens: keep.length,
    evict: maskToRanges(keep, 0, input.positions),
    keepRanges: maskToRanges(keep, 1, input.positions),
    blocks,
  };
}

/** Block offsets of the runs of equal keep values: the "blocks" of token-level methods. */
export function runOffsets(keep: Uint8Array): Int32Array {
  const offsets = [0];
  for (let i = 1; i < keep.length; i++) if (keep[i] !== keep[i - 1]) offsets.push(i);
  offsets.push(keep.length);
  return Int32Array.from(offsets);
}
