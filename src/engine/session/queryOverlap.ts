import {standardise} from "../../core/boundaryScores";
import type {ImportanceSignal} from "../../core/types";

/**
 * Query awareness for proxy signals (key norm, surprisal), which know nothing of the question: context tokens
 * whose id also occurs in the question get a boost, weighted by rarity (ids frequent in the context, such as
 * spaces and punctuation, get almost none). The base signal is standardised first so the boost has one scale.
 *   score'[t] = z(score)[t] + BOOST · idf(id_t) · [id_t ∈ question]
 * With the attention probe this is not needed: the question's own attention is the observation window.
 */
export const QUERY_BOOST = 4;

export function queryOverlapBoost(signal: ImportanceSignal, contextIds: readonly number[], questionIds: readonly number[]): ImportanceSignal {
  const n = contextIds.length;
  const counts = new Map<number, number>();
  for (const id of contextIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  const asked = new Set(questionIds);
  const z = standardise(signal.tokenScores);
  const out = new Float32Array(n);
  for (let t = 0; t < n; t++) {
    const id = contextIds[t];
    let boost = 0;
    if (asked.has(id)) {
      const idf = Math.log((n + 1) / ((counts.get(id) ?? 0) + 1)) / Math.log(n + 1);
      boost = QUERY_BOOST * Math.max(0, idf);
    }
    out[t] = z[t] + boost;
  }
  return {...signal, kind: `${signal.kind}+query`, tokenScores: out};
}
