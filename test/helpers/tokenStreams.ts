import fc from "fast-check";
import {createPrng} from "../../src/core/prng";

/** Pieces a code tokenizer might produce: words, punctuation, whitespace and newlines. */
export const PIECES = [
  "const",
  " x",
  " =",
  " 41",
  ";",
  "\n",
  "  ",
  "}",
  "{",
  "(",
  ")",
  ",",
  ".",
  ":",
  "?",
  "!",
  " foo",
  "_bar",
  "\n\n",
  "//",
  " a",
  "b",
  "\t",
  "return",
];

/** A deterministic pseudo-random token stream of n pieces. */
export function randomTokens(n: number, seed = 1): string[] {
  const next = createPrng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(PIECES[Math.floor(next() * PIECES.length)]);
  return out;
}

export function randomSignal(n: number, seed = 2): Float32Array {
  const next = createPrng(seed);
  const s = new Float32Array(n);
  for (let i = 0; i < n; i++) s[i] = next();
  return s;
}

/** fast-check arbitrary: a token stream with a matching signal. */
export const streamWithSignal = fc.integer({min: 1, max: 600}).chain((n) =>
  fc.record({
    texts: fc.array(fc.constantFrom(...PIECES), {minLength: n, maxLength: n}),
    scores: fc.float32Array({minLength: n, maxLength: n, noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6}),
  })
);
