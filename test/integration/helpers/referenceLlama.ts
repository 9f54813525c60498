/**
 * Reference math of llama layer 0 from the weights of the tiny test model (f64 arithmetic):
 * roped queries/keys, and the attention of chosen queries over keys from the parsed KV state.
 */
import type {TinyLlamaWeights, TinyMatrix} from "./tinyLlamaGguf";
import {headDimOf} from "../../../src/model/llamaGguf";

function rmsNormed(x: Float32Array, gain: Float32Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const scale = 1 / Math.sqrt(ss / x.length + eps);
  return Float64Array.from(x, (v, i) => v * scale * gain[i]);
}

function matVec(m: TinyMatrix, x: Float64Array): Float64Array {
  const out = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    for (let c = 0; c < m.cols; c++) s += m.data[r * m.cols + c] * x[c];
    out[r] = s;
  }
  return out;
}

/** llama's "normal" RoPE: adjacent pairs (2i, 2i+1) of each head rotated by pos·base^(−2i/headDim). */
function ropeInPlace(v: Float64Array, headDim: number, pos: number, base: number): Float64Array {
  for (let h = 0; h < v.length / headDim; h++) {
    for (let i = 0; i < headDim / 2; i++) {
      const theta = pos * Math.pow(base, (-2 * i) / headDim);
      const c = Math.cos(theta),
        s = Math.sin(theta);
      const a = v[h * headDim + 2 * i],
        b = v[h * headDim + 2 * i + 1];
      v[h * headDim + 2 * i] = a * c - b * s;
      v[h * headDim + 2 * i + 1] = a * s + b * c;
    }
  }
  return v;
}

function layer0Input(w: TinyLlamaWeights, token: number): Float64Array {
  const {nEmbd, rmsEps} = w.shape;
  const x = w.tokenEmbd.data.subarray(token * nEmbd, (token + 1) * nEmbd);
  return rmsNormed(x, w.layers[0].attnNorm, rmsEps);
}

/** RoPE(Wk·x, pos) of layer 0: [n_head_kv * head_dim]. */
export function referenceKeyLayer0(w: TinyLlamaWeights, token: number, pos: number): Float64Array {
  const headDim = headDimOf(w.shape);
  return ropeInPlace(matVec(w.layers[0].wk, layer0Input(w, token)), headDim, pos, w.shape.ropeFreqBase);
}

/** Wv·x of layer 0 (no RoPE on values): [n_head_kv * head_dim]. */
export function referenceValueLayer0(w: TinyLlamaWeights, token: number): Float64Array {
  return matVec(w.layers[0].wv, layer0Input(w, token));
}

/** RoPE(Wq·x, pos) of layer 0: [n_head * head_dim]. */
export function referenceQueryLayer0(w: TinyLlamaWeights, token: number, pos: number): Float64Array {
  const headDim = headDimOf(w.shape);
  return ropeInPlace(matVec(w.layers[0].wq, layer0Input(w, token)), headDim, pos, w.shape.ropeFreqBase);
}

/**
 * Layer-0 attention mass received by each key position from the query tokens at `queryPositions`, summed over
 * heads and queries: Σ_q Σ_h softmax_j(q_h·k_j/√d) over keys j ≤ q. Keys `K` are [position][n_head_kv*head_dim].
 */
export function referenceObservationMassLayer0(
  w: TinyLlamaWeights,
  tokens: ArrayLike<number>,
  K: Float32Array,
  queryPositions: readonly number[]
): Float64Array {
  const {nHead, nHeadKv} = w.shape;
  const headDim = headDimOf(w.shape);
  const kvRow = nHeadKv * headDim;
  const mass = new Float64Array(tokens.length);
  for (const qp of queryPositions) {
    const q = referenceQueryLayer0(w, tokens[qp], qp);
    for (let h = 0; h < nHead; h++) {
      const hk = Math.floor(h / (nHead / nHeadKv));
      const scores = new Float64Array(qp + 1);
      let max = -Infinity;
      for (let j = 0; j <= qp; j++) {
        let s = 0;
        for (let d = 0; d < headDim; d++) s += q[h * headDim + d] * K[j * kvRow + hk * headDim + d];
        scores[j] = s / Math.sqrt(headDim);
        if (scores[j] > max) max = scores[j];
      }
      let z = 0;
      for (let j = 0; j <= qp; j++) {
        scores[j] = Math.exp(scores[j] - max);
        z += scores[j];
      }
      for (let j = 0; j <= qp; j++) mass[j] += scores[j] / z;
    }
  }
  return mass;
}
