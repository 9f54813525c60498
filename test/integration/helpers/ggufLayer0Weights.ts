/**
 * Layer-0 attention weights of a llama GGUF (F32 or F16 tensors), in the shape the reference math reads
 * (referenceLlama.ts), so that the hook is checked on a real model file too, not only on the random test model.
 */
import {readGgufHeader, type GgufHeaderInfo} from "../../../src/engine/gguf/ggufHeader";
import {llamaHyperparametersOf, readF32Tensor as tensor} from "../../../src/model/ggufTensors";
import type {TinyLlamaWeights, TinyMatrix} from "./tinyLlamaGguf";

function matrix(path: string, info: GgufHeaderInfo, name: string): TinyMatrix {
  const {shape, data} = tensor(path, info, name);
  return {rows: shape[1], cols: shape[0], data}; // ggml [cols, rows], row-major
}

/** Only what layer-0 attention needs is filled in (embeddings, attention norm, Wq, Wk); the rest is empty. */
export async function readLayer0Weights(path: string): Promise<TinyLlamaWeights> {
  const info = await readGgufHeader(path);
  const empty: TinyMatrix = {rows: 0, cols: 0, data: new Float32Array(0)};
  const embd = matrix(path, info, "token_embd.weight");
  return {
    shape: {...llamaHyperparametersOf(info), attnWeightStd: 0, seed: 0},
    vocabSize: embd.rows,
    tokenEmbd: embd,
    layers: [
      {
        attnNorm: tensor(path, info, "blk.0.attn_norm.weight").data,
        wq: matrix(path, info, "blk.0.attn_q.weight"),
        wk: matrix(path, info, "blk.0.attn_k.weight"),
        wv: empty,
        wo: empty,
        ffnNorm: new Float32Array(0),
        gate: empty,
        up: empty,
        down: empty,
      },
    ],
    outputNorm: new Float32Array(0),
    output: empty,
  };
}
