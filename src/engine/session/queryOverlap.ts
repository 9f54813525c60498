import {standardise} from "../../core/boundaryScores";
import type {ImportanceSignal} from "../../core/types";

/**
 * Query awareness for proxy signals (key norm, surprisal), which know nothing of the question. When a question is
 * known it should dominate, so the proxy is standardised and down-weighted, and context tokens whose id also occurs
 * in the question get a boost weighted by rarity, sharpened (idf³, so template words and punctuation that recur all
 * over the context — spaces, ' = ', ':' — get almost none, while an identifier that occurs once gets all). The boost
 * also runs on over the next few tokens, decaying: what a question needs is usually what follows a match (an
 * induction head attends to the token after the matched one; `KEY = value`).
 *   score'[t] = 0.25·z(score)[t] + Σ_{m ≤ t, t−m ≤ 8, id_m ∈ question} BOOST · idf(id_m)³ · 0.75^(t−m)
 * with idf(id) = ln(n / count(id)) / ln(n).
 * With the attention probe this is not needed: the question's own attention is the observation window.
 */
export const QUERY_BOOST = 4;
const PROXY_WEIGHT = 0.25;
const SPREAD = 8;
const DECAY = 0.75;

export function queryOverlapBoost(
  signal: ImportanceSignal,
  contextIds: readonly number[],
  questionIds: readonly number[]
): ImportanceSignal {
  const n = contextIds.length;
  const counts = new Map<number, number>();
  for (const id of contextIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  const asked = new Set(questionIds);
  const z = standardise(signal.tokenScores);
  const out = new Float32Array(n);
  for (let t = 0; t < n; t++) out[t] += PROXY_WEIGHT * z[t];
  for (let m = 0; m < n; m++) {
    const id = contextIds[m];
    if (!asked.has(id)) continue;
    const idf = n > 1 ? Math.max(0, Math.log(n / (counts.get(id) ?? 1)) / Math.log(n)) : 1;
    let b = QUERY_BOOST * idf ** 3;
    for (let t = m; t < Math.min(n, m + SPREAD + 1); t++, b *= DECAY) out[t] += b;
  }
  return {...signal, kind: `${signal.kind}+query`, tokenScores: out};
}
