/**
 * Key-norm proxy of attention (Devoto et al., 2024, "A simple and effective L2 norm-based strategy for KV
 * cache compression"): keys with a LOW L2 norm receive HIGH attention. Works on stock binaries: K comes from
 * the sequence's state file (kvStateParser).
 *
 *   score[t] = − (1 / (|L|·H_kv)) · Σ_{l∈L} Σ_{h<H_kv} ‖K_{l,h,t}‖₂
 *
 * K is the stored (post-RoPE) key; RoPE is a rotation, so the norm is the pre-RoPE norm. L defaults to the
 * layers ≥ 1 (the paper finds layer 0 uninformative; it is used only for single-layer models). Averaging over
 * the H_kv KV heads equals averaging over query heads, since every KV head serves the same number of them.
 */
import type {LlamaContextSequence} from "node-llama-cpp";
import type {ParsedSeqState} from "./kvStateParser";
import {modelKvShape} from "./modelKvShape";
import {readSequenceKvState} from "./sequenceState";
import type {TokenSignal} from "./types";

export function defaultKeyNormLayers(nLayer: number): number[] {
  return nLayer > 1 ? Array.from({length: nLayer - 1}, (_, i) => i + 1) : [0];
}

/** The formula above over an already parsed state (rows in position order), for rows from `fromRow` on (earlier: 0). */
export function keyNormScores(state: ParsedSeqState, nHeadKv: number, layers: readonly number[], fromRow = 0): Float32Array {
  const n = state.cellCount;
  const sums = new Float64Array(n);
  const used = state.layers.filter((l) => layers.includes(l.layer) && l.K.length > 0);
  if (used.length === 0) throw new Error("keyNormScores: none of the requested layers was decoded");
  for (const layer of used) {
    const headDim = layer.kRowElems / nHeadKv;
    for (let t = fromRow; t < n; t++) {
      for (let h = 0; h < nHeadKv; h++) {
        let sq = 0;
        const base = t * layer.kRowElems + h * headDim;
        for (let d = 0; d < headDim; d++) sq += layer.K[base + d] * layer.K[base + d];
        sums[t] += Math.sqrt(sq);
      }
    }
  }
  const scores = new Float32Array(n);
  const norm = 1 / (used.length * nHeadKv);
  for (let t = 0; t < n; t++) scores[t] = -sums[t] * norm;
  return scores;
}

/** Key-norm scores of the sequence's tokens from `fromRow` on (earlier rows are left 0: their scores are known). */
export async function computeKeyNormSignal(
  sequence: LlamaContextSequence,
  options: {layers?: readonly number[]; fromRow?: number} = {}
): Promise<TokenSignal> {
  const start = performance.now();
  const shape = modelKvShape(sequence.model);
  const layers = options.layers ?? defaultKeyNormLayers(shape.nLayer);
  const state = await readSequenceKvState(sequence, {layers, fromRow: options.fromRow});
  const tokenScores = keyNormScores(state, shape.nHeadKv, layers, options.fromRow);
  return {kind: "keyNorm", tokenScores, elapsedMs: performance.now() - start};
}
