/**
 * Surprisal proxy (Selective Context / LLMLingua): surprising tokens carry information, keep them.
 * score[t] = −log2 p(x_t | x_<t), measured while the tokens are prefilled, with `controlledEvaluate`.
 *
 * Recipe (docs llama-notes §4, matches the `probabilities` map to 1e-7): for each position ask for the
 * greedy token (temperature 0 ⇒ its logit is the max logit), the logit of the ACTUAL next token through a
 * one-token filter with `includeSelected`, and `totalLogitWeight` = Σ exp(l − maxLogit). Then
 *   log p(next) = l_next − l_max − ln(totalLogitWeight).
 * (`includeMax` is buggy in this node-llama-cpp version; this recipe does not need it.)
 *
 * Tokens nothing predicts here (the first token of the sequence, and tokens that were already in the sequence
 * before the call) get the maximum measured surprisal, so a consumer keeps them rather than evicting blind.
 */
import type {LlamaContextSequence, Token} from "node-llama-cpp";
import type {TokenSignal} from "./types";

export interface SurprisalMeasurement {
  signal: TokenSignal;
  /** Surprisal in bits of each token of `tokens` (NaN for the first one when the sequence was empty). */
  bitsOfInput: Float64Array;
}

/** Prefills `tokens` into the sequence and measures the surprisal of each one. */
export async function prefillWithSurprisal(sequence: LlamaContextSequence, tokens: Token[]): Promise<SurprisalMeasurement> {
  const start = performance.now();
  const offset = sequence.contextTokens.length;
  const bitsOfInput = new Float64Array(tokens.length).fill(NaN);
  const input = tokens.map((token, i) =>
    i + 1 < tokens.length
      ? ([
          token,
          {generateNext: {token: true, logits: {filter: {tokens: [tokens[i + 1]], includeSelected: true}}, totalLogitWeight: true}},
        ] as const)
      : token
  );
  // the prediction of tokens[0] would come from the sequence's last token, which is already evaluated
  const results = await sequence.controlledEvaluate(input as Parameters<LlamaContextSequence["controlledEvaluate"]>[0]);
  for (let i = 0; i + 1 < tokens.length; i++) {
    const next = results[i]?.next;
    if (next?.token == null || next.logits == null || next.totalLogitWeight == null) continue;
    const nextLogit = next.logits.get(tokens[i + 1]);
    const maxLogit = next.logits.get(next.token);
    if (nextLogit == null || maxLogit == null) continue;
    bitsOfInput[i + 1] = -(nextLogit - maxLogit - Math.log(next.totalLogitWeight)) / Math.LN2;
  }

  const n = sequence.contextTokens.length;
  const tokenScores = new Float32Array(n);
  let maxBits = 0;
  for (const b of bitsOfInput) if (Number.isFinite(b) && b > maxBits) maxBits = b;
  tokenScores.fill(maxBits);
  for (let i = 0; i < tokens.length && offset + i < n; i++) if (Number.isFinite(bitsOfInput[i])) tokenScores[offset + i] = bitsOfInput[i];
  return {signal: {kind: "surprisal", tokenScores, elapsedMs: performance.now() - start}, bitsOfInput};
}
