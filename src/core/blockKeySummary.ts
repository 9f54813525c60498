/**
 * Uniform mapping by fixed-size summaries: each block, whatever its length, becomes a per-dimension min and
 * max of its keys (Quest-style), `nBlocks × 2 × dim` floats. A query then scores every block with one dense
 * pass, `Σ_d max(q_d·kmax_d, q_d·kmin_d)`, an upper bound of the block's best q·k, instead of a dot product
 * per token.
 */
export interface BlockKeySummary {
  nBlocks: number;
  dim: number;
  /** nBlocks × dim mins then nBlocks × dim maxes. */
  min: Float32Array;
  max: Float32Array;
}

/** `keys` is n × dim row-major (one key per token, e.g. averaged over KV heads). */
export function summariseBlockKeys(offsets: Int32Array, keys: Float32Array, dim: number): BlockKeySummary {
  const nBlocks = offsets.length - 1;
  const min = new Float32Array(nBlocks * dim).fill(Infinity);
  const max = new Float32Array(nBlocks * dim).fill(-Infinity);
  for (let b = 0; b < nBlocks; b++) {
    const row = b * dim;
    for (let t = offsets[b]; t < offsets[b + 1]; t++) {
      const k = t * dim;
      for (let d = 0; d < dim; d++) {
        const v = keys[k + d];
        if (v < min[row + d]) min[row + d] = v;
        if (v > max[row + d]) max[row + d] = v;
      }
    }
  }
  return {nBlocks, dim, min, max};
}

/** Upper-bound score of every block for one query vector. */
export function scoreSummaries(summary: BlockKeySummary, query: Float32Array): Float32Array {
  const {nBlocks, dim, min, max} = summary;
  const out = new Float32Array(nBlocks);
  for (let b = 0, row = 0; b < nBlocks; b++, row += dim) {
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const q = query[d];
      const a = q * max[row + d];
      const c = q * min[row + d];
      s += a > c ? a : c;
    }
    out[b] = s;
  }
  return out;
}

/** The ragged equivalent: the best q·k of every block, token by token (exact, and what the bound bounds). */
export function scoreBlocksTokenwise(offsets: Int32Array, keys: Float32Array, dim: number, query: Float32Array): Float32Array {
  const nBlocks = offsets.length - 1;
  const out = new Float32Array(nBlocks);
  for (let b = 0; b < nBlocks; b++) {
    let best = -Infinity;
    for (let t = offsets[b]; t < offsets[b + 1]; t++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += query[d] * keys[t * dim + d];
      if (s > best) best = s;
    }
    out[b] = best;
  }
  return out;
}
