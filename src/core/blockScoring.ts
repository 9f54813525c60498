import {standardise} from "./boundaryScores";
import {DynSplitInputError} from "./errors";

/**
 * Dense scoring of every block of a repository against a question, over the uniform block summaries: each block is
 * one fixed-size row of `segments × segmentDim` floats (one mean key per cached layer and KV head, position-free),
 * so one pass over a Float32Array scores them all, whatever the blocks' lengths.
 */

/** Scales every segment of every row to unit length (zero segments stay zero), in place. */
export function normaliseSegments(matrix: Float32Array, rows: number, segments: number, segmentDim: number): Float32Array {
  const dim = segments * segmentDim;
  if (matrix.length !== rows * dim) throw new DynSplitInputError(`matrix has ${matrix.length} floats, expected ${rows} × ${dim}`);
  for (let r = 0; r < rows; r++)
    for (let s = 0; s < segments; s++) {
      const base = r * dim + s * segmentDim;
      let sq = 0;
      for (let d = 0; d < segmentDim; d++) sq += matrix[base + d] * matrix[base + d];
      const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
      for (let d = 0; d < segmentDim; d++) matrix[base + d] *= inv;
    }
  return matrix;
}

/**
 * Key-summary similarity: for each block, the mean over segments (layer × KV head) of the best cosine between the
 * block's summary and any of the question's vectors. Both inputs must be segment-normalised.
 *   score[b] = (1/S) Σ_s max_q ⟨query[q]_s, summary[b]_s⟩
 */
export function keySimilarity(
  summary: Float32Array,
  nBlocks: number,
  queries: Float32Array,
  nQueries: number,
  segments: number,
  segmentDim: number
): Float32Array {
  const dim = segments * segmentDim;
  if (summary.length !== nBlocks * dim) throw new DynSplitInputError(`summary has ${summary.length} floats, expected ${nBlocks} × ${dim}`);
  if (queries.length !== nQueries * dim)
    throw new DynSplitInputError(`queries have ${queries.length} floats, expected ${nQueries} × ${dim}`);
  const out = new Float32Array(nBlocks);
  if (nQueries === 0 || segments === 0) return out;
  for (let b = 0; b < nBlocks; b++) {
    const row = b * dim;
    let total = 0;
    for (let s = 0; s < segments; s++) {
      const k = row + s * segmentDim;
      let best = -Infinity;
      for (let q = 0; q < nQueries; q++) {
        const v = q * dim + s * segmentDim;
        let dot = 0;
        for (let d = 0; d < segmentDim; d++) dot += queries[v + d] * summary[k + d];
        if (dot > best) best = dot;
      }
      total += best;
    }
    out[b] = total / segments;
  }
  return out;
}

/**
 * Quest's upper bound (https://arxiv.org/abs/2406.10774) of each query·key logit in a block, from the blocks'
 * per-channel key minimum and maximum: Σ_d max(q_d·min_d, q_d·max_d) ≥ max_t q·k_t, so one token that matches is not
 * averaged away as in a mean key. Averaged over the question's rows, the summary layers and the query heads (measured
 * on the bundled model: the mean ranks the block holding the asked fact better than the best single head or the max):
 *   score[b] = (1 / (R·L·H)) Σ_{r,l,h} Σ_d max(q[r,l,h]_d · min[b,l,g]_d, q[r,l,h]_d · max[b,l,g]_d) / √d   (g = h / group)
 * `minKeys`/`maxKeys` are blocks × L × H_kv × d, `queries` rows × L × H × d, all position-free.
 */
export function queryBoundScores(
  minKeys: Float32Array,
  maxKeys: Float32Array,
  nBlocks: number,
  queries: Float32Array,
  nRows: number,
  layers: number,
  nHead: number,
  nHeadKv: number,
  headDim: number
): Float32Array {
  const kvDim = layers * nHeadKv * headDim;
  const qDim = layers * nHead * headDim;
  if (minKeys.length !== nBlocks * kvDim || maxKeys.length !== nBlocks * kvDim)
    throw new DynSplitInputError(`key bounds have ${minKeys.length}/${maxKeys.length} floats, expected ${nBlocks} × ${kvDim}`);
  if (queries.length !== nRows * qDim) throw new DynSplitInputError(`queries have ${queries.length} floats, expected ${nRows} × ${qDim}`);
  if (nHead % nHeadKv !== 0) throw new DynSplitInputError(`${nHead} query heads do not split into ${nHeadKv} KV groups`);
  const group = nHead / nHeadKv;
  const out = new Float32Array(nBlocks);
  if (nRows === 0) return out;
  const scale = 1 / (Math.sqrt(headDim) * nRows * layers * nHead);
  for (let b = 0; b < nBlocks; b++) {
    let total = 0;
    for (let l = 0; l < layers; l++)
      for (let h = 0; h < nHead; h++) {
        const k = b * kvDim + (l * nHeadKv + Math.floor(h / group)) * headDim;
        for (let r = 0; r < nRows; r++) {
          const q = r * qDim + (l * nHead + h) * headDim;
          let bound = 0;
          for (let d = 0; d < headDim; d++) {
            const qd = queries[q + d];
            const a = qd * minKeys[k + d];
            const c = qd * maxKeys[k + d];
            bound += a > c ? a : c;
          }
          total += bound;
        }
      }
    out[b] = total * scale;
  }
  return out;
}

/** Σ weight · z(scores): each part standardised over the blocks first, so parts on different scales combine. */
export function combineStandardised(parts: readonly {scores: Float32Array; weight: number}[], n: number): Float32Array {
  const out = new Float32Array(n);
  for (const p of parts) {
    if (p.scores.length !== n) throw new DynSplitInputError(`a score part has ${p.scores.length} entries for ${n} blocks`);
    if (p.weight === 0) continue;
    const z = standardise(p.scores);
    for (let i = 0; i < n; i++) out[i] += p.weight * z[i];
  }
  return out;
}

/**
 * What a question needs often follows what it matched (`KEY = value` split across two blocks): a block inherits a
 * share `gamma` of its predecessor's excess over the lowest score, in the same file, when that is more than its own.
 * Measured from the minimum, so the spread does not depend on where the scores sit (z-scores are negative for most
 * blocks) and blocks after an unmatched block stay at the minimum.
 */
export function spreadToNext(scores: Float32Array, fileOf: Int32Array, gamma: number): Float32Array {
  const out = Float32Array.from(scores);
  if (gamma <= 0 || scores.length === 0) return out;
  let min = Infinity;
  for (let b = 0; b < scores.length; b++) if (scores[b] < min) min = scores[b];
  for (let b = 1; b < scores.length; b++)
    if (fileOf[b] === fileOf[b - 1]) out[b] = Math.max(scores[b], min + gamma * (scores[b - 1] - min));
  return out;
}

const STOP_WORDS = new Set([
  "a",
  "an",
  "and",
  "are",
  "as",
  "at",
  "be",
  "by",
  "do",
  "does",
  "for",
  "from",
  "how",
  "in",
  "is",
  "it",
  "of",
  "on",
  "or",
  "the",
  "this",
  "that",
  "to",
  "what",
  "when",
  "where",
  "which",
  "who",
  "why",
  "with",
  "q",
]);

/**
 * Search terms of code or of a question: every identifier, lower-cased, plus its parts (snake_case, camelCase,
 * kebab-case and digits split), and numbers; English stop words and one-letter terms dropped. `retryLimit_ms` gives
 * `retrylimit_ms`, `retry`, `limit`, `ms`.
 */
export function codeTerms(text: string): string[] {
  const out: string[] = [];
  for (const word of text.match(/[A-Za-z_$][A-Za-z0-9_$]*|[0-9]+(?:\.[0-9]+)?/g) ?? []) {
    const lower = word.toLowerCase();
    if (lower.length > 1 && !STOP_WORDS.has(lower)) out.push(lower);
    const parts = word
      .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
      .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
      .split(/[^A-Za-z0-9]+|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])/)
      .map((p) => p.toLowerCase())
      .filter((p) => p.length > 1 && p !== lower && !STOP_WORDS.has(p));
    out.push(...parts);
  }
  return out;
}
