import type {TokenRange} from "./types";

/**
 * Runs of tokens whose mask equals `value`, as position ranges: sorted, disjoint, merged while positions are
 * contiguous and split where they are not (a gap is a token outside this input, which must not be touched).
 */
export function maskToRanges(mask: Uint8Array, value: 0 | 1, positions?: ArrayLike<number>): TokenRange[] {
  const ranges: TokenRange[] = [];
  const pos = (i: number) => (positions ? positions[i] : i);
  let open: TokenRange | null = null;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === value) {
      const p = pos(i);
      if (open && open.end === p) open.end = p + 1;
      else {
        open = {start: p, end: p + 1};
        ranges.push(open);
      }
    } else open = null;
  }
  return ranges;
}

/** Sorts and merges arbitrary ranges (touching or overlapping ones become one). */
export function mergeRanges(ranges: readonly TokenRange[]): TokenRange[] {
  const sorted = ranges
    .filter((r) => r.end > r.start)
    .map((r) => ({...r}))
    .sort((a, b) => a.start - b.start);
  const out: TokenRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push(r);
  }
  return out;
}

/** Number of positions covered by a set of disjoint ranges. */
export function rangesLength(ranges: readonly TokenRange[]): number {
  let total = 0;
  for (const r of ranges) total += r.end - r.start;
  return total;
}
