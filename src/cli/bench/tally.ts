/**
 * Right/wrong answers of one benchmark cell, counted overall, per value kind and per needle-depth bucket, each with
 * its 95 % Wilson interval: a cell's figure and its breakdowns come from the same answers.
 */
import {wilson} from "../answerMatch";

export interface Share {
  n: number;
  correct: number;
  accuracy: number;
  ci95: [number, number];
}

export interface TallyStats extends Share {
  /** Per value kind (int, hex, string, dotted), in the order first seen. */
  byKind: ({kind: string} & Share)[];
  /** Per fifth of the context (0–20 %, …, 80–100 %); NaN accuracy where no needle fell. */
  byDepth: ({bucket: string} & Share)[];
}

export const DEPTH_BUCKETS = 5;

export function depthBucketLabel(i: number, buckets = DEPTH_BUCKETS): string {
  const w = 100 / buckets;
  return `${Math.round(i * w)}–${Math.round((i + 1) * w)}%`;
}

/** The bucket of a depth in [0, 1] (1 falls in the last). */
export function depthBucketOf(depth: number, buckets = DEPTH_BUCKETS): number {
  return Math.max(0, Math.min(buckets - 1, Math.floor(depth * buckets)));
}

export function share(correct: number, n: number): Share {
  return {n, correct, accuracy: n ? correct / n : NaN, ci95: wilson(correct, n)};
}

export class Tally {
  private n = 0;
  private correct = 0;
  private readonly kinds = new Map<string, [number, number]>();
  private readonly depths = Array.from({length: DEPTH_BUCKETS}, () => [0, 0] as [number, number]);

  add(right: boolean, o: {kind?: string; depth?: number} = {}) {
    const k = right ? 1 : 0;
    this.n++;
    this.correct += k;
    if (o.kind != null) {
      const c = this.kinds.get(o.kind) ?? [0, 0];
      this.kinds.set(o.kind, [c[0] + 1, c[1] + k]);
    }
    if (o.depth != null) {
      const d = this.depths[depthBucketOf(o.depth)];
      d[0]++;
      d[1] += k;
    }
  }

  stats(): TallyStats {
    return {
      ...share(this.correct, this.n),
      byKind: [...this.kinds].map(([kind, [n, c]]) => ({kind, ...share(c, n)})),
      byDepth: this.depths.map(([n, c], i) => ({bucket: depthBucketLabel(i), ...share(c, n)})),
    };
  }
}
