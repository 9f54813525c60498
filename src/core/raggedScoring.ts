import type {BlockAggregate} from "./types";

/**
 * The ragged reference: each block as its own list of token indices, scored by a loop per block. This is
 * how variable-length blocks look without uniform mapping; it stays for the unit tests (both must agree), for
 * `npm run bench:core`, which measures what the uniform layout saves, and for DynSplit's `uniformMapping: false`
 * (the fidelity bench's ablation).
 */
export function raggedBlocks(offsets: Int32Array): number[][] {
  const blocks: number[][] = [];
  for (let b = 0; b + 1 < offsets.length; b++) {
    const idx: number[] = [];
    for (let t = offsets[b]; t < offsets[b + 1]; t++) idx.push(t);
    blocks.push(idx);
  }
  return blocks;
}

export function scoreRaggedBlocks(blocks: number[][], tokenScores: Float32Array, aggregate: BlockAggregate): Float32Array {
  const out = new Float32Array(blocks.length);
  for (let b = 0; b < blocks.length; b++) {
    const block = blocks[b];
    let acc = aggregate === "max" ? -Infinity : 0;
    for (const t of block) acc = aggregate === "max" ? Math.max(acc, tokenScores[t]) : acc + tokenScores[t];
    out[b] = aggregate === "mean" ? acc / Math.max(1, block.length) : acc;
  }
  return out;
}
