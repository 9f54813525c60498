/** How the CLI's eval and benchmarks score an answer, and the interval they report. */

/** Exact match after trimming (and a trailing `;`, `,` or `.`, which the model may write after a value). */
export function isCorrect(answer: string, expected: string): boolean {
  const norm = (s: string) =>
    s
      .trim()
      .replace(/[;,.]+$/, "")
      .trim();
  return norm(answer) === norm(expected);
}

/** Wilson score interval: honest at small n and near 0 or 1. */
export function wilson(k: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
