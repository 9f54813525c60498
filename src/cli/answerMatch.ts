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

/** How an expected answer is compared: a value exactly (after trimming), a file as a path. */
export type AnswerKind = "value" | "file";

/**
 * A file answer is right when it names the same file: slashes and `./` do not matter, nor a header prefix the model
 * may repeat (`// file: src/a.ts`), nor quotes or backticks around it.
 */
export function isSamePath(answer: string, expected: string): boolean {
  const norm = (s: string) =>
    s
      .trim()
      .split("\n")[0]
      .replace(/^(?:\/\/|#)\s*file:\s*/i, "")
      .replace(/^["'`]+|["'`.;,]+$/g, "")
      .replace(/\\/g, "/")
      .replace(/^\.\//, "")
      .replace(/\/{2,}/g, "/");
  const got = norm(answer);
  return got !== "" && got === norm(expected);
}

export function isRightAnswer(kind: AnswerKind, answer: string, expected: string): boolean {
  return kind === "file" ? isSamePath(answer, expected) : isCorrect(answer, expected);
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
