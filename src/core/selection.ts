/**
 * Budgeted selection. `required` tokens (sinks, recent window, pinned) are kept first; the rest of the budget
 * goes to whole blocks in descending score order (ties: the earlier block). When the next block no longer fits,
 * its leading tokens fill the budget exactly, so every method keeps exactly `keepCount` tokens.
 */
export function selectBlocks(offsets: Int32Array, blockScores: Float32Array, required: Uint8Array, keepCount: number): Uint8Array {
  const keep = required.slice();
  let remaining = keepCount - countOnes(keep);
  const order = rankDescending(blockScores);
  for (let r = 0; r < order.length && remaining > 0; r++) {
    const b = order[r];
    const start = offsets[b];
    const end = offsets[b + 1];
    let free = 0;
    for (let t = start; t < end; t++) free += keep[t] ^ 1;
    if (free === 0) continue;
    if (free <= remaining) {
      keep.fill(1, start, end);
      remaining -= free;
    } else {
      for (let t = start; t < end && remaining > 0; t++)
        if (!keep[t]) {
          keep[t] = 1;
          remaining--;
        }
    }
  }
  return keep;
}

/** Token-level top-k on top of the required tokens (SnapKV-style). */
export function selectTokens(tokenScores: Float32Array, required: Uint8Array, keepCount: number): Uint8Array {
  const keep = required.slice();
  let remaining = keepCount - countOnes(keep);
  const order = rankDescending(tokenScores);
  for (let r = 0; r < order.length && remaining > 0; r++) {
    const t = order[r];
    if (!keep[t]) {
      keep[t] = 1;
      remaining--;
    }
  }
  return keep;
}

/**
 * Indices sorted by descending score, ties by ascending index: deterministic across runs and engines. Scores at the
 * minimum (most blocks of a repository, for a lexical score) are not sorted: they go last, in index order, which is
 * where the full sort puts them; only the rest is sorted.
 */
export function rankDescending(scores: Float32Array): Int32Array {
  const n = scores.length;
  let min = Infinity;
  for (let i = 0; i < n; i++) if (scores[i] < min) min = scores[i];
  const above: number[] = [];
  for (let i = 0; i < n; i++) if (scores[i] > min) above.push(i);
  above.sort((a, b) => scores[b] - scores[a] || a - b);
  const order = new Int32Array(n);
  order.set(above);
  let o = above.length;
  for (let i = 0; i < n; i++) if (!(scores[i] > min)) order[o++] = i; // the minimum, and NaN (which compares as neither)
  return order;
}

export function countOnes(mask: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < mask.length; i++) c += mask[i];
  return c;
}
