/**
 * A random-weight llama model with a 260-token byte vocabulary (facts: docs llama-notes §1), used by the signal
 * tests and the probe benchmark so they run without a committed model. F32 weights only, so that reference math
 * in JS sees exactly the weights llama.cpp uses. Returns the weights for reference math.
 */
import {writeFileSync} from "node:fs";
import {createPrng} from "../../../src/core/prng";
import {gguf} from "../../../src/engine/gguf/ggufTypes";
import {encodeGguf, type GgufTensorInput} from "../../../src/engine/gguf/ggufWriter";
import type {LlamaHyperparameters} from "../../../src/model/llamaGguf";

export interface TinyLlamaShape extends LlamaHyperparameters {
  /** Standard deviation of the random weights of the attention projections (sharper attention when larger). */
  attnWeightStd: number;
  seed: number;
}

export const defaultTinyLlamaShape: TinyLlamaShape = {
  nLayer: 2,
  nEmbd: 64,
  nHead: 4,
  nHeadKv: 2,
  nFf: 128,
  contextLength: 8192,
  ropeFreqBase: 10000,
  rmsEps: 1e-5,
  attnWeightStd: 0.15,
  seed: 1234,
};

/** Row-major matrices: `rows` outputs of `cols` inputs (ggml dims `[cols, rows]`). */
export interface TinyMatrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export interface TinyLlamaLayerWeights {
  attnNorm: Float32Array;
  wq: TinyMatrix;
  wk: TinyMatrix;
  wv: TinyMatrix;
  wo: TinyMatrix;
  ffnNorm: Float32Array;
  gate: TinyMatrix;
  up: TinyMatrix;
  down: TinyMatrix;
}

export interface TinyLlamaWeights {
  shape: TinyLlamaShape;
  vocabSize: number;
  tokenEmbd: TinyMatrix; // vocabSize rows of nEmbd
  layers: TinyLlamaLayerWeights[];
  outputNorm: Float32Array;
  output: TinyMatrix;
}

/** 260 tokens: <unk>, <s>, </s>, the 256 byte tokens, "▁" (llama-notes §1). */
export const tinyVocabSize = 260;

/** Writes the model to `path` and returns its weights. */
export function writeTinyLlamaGguf(path: string, shapeOverrides: Partial<TinyLlamaShape> = {}): TinyLlamaWeights {
  const shape: TinyLlamaShape = {...defaultTinyLlamaShape, ...shapeOverrides};
  const {nLayer, nEmbd, nHead, nHeadKv, nFf} = shape;
  const headDim = nEmbd / nHead;
  const rand = createPrng(shape.seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const matrix = (rows: number, cols: number, std: number): TinyMatrix => {
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = gauss() * std;
    return {rows, cols, data};
  };
  const norm = (n: number): Float32Array => Float32Array.from({length: n}, () => 1 + 0.1 * gauss());

  const weights: TinyLlamaWeights = {
    shape,
    vocabSize: tinyVocabSize,
    tokenEmbd: matrix(tinyVocabSize, nEmbd, 1),
    layers: Array.from({length: nLayer}, () => ({
      attnNorm: norm(nEmbd),
      wq: matrix(nEmbd, nEmbd, shape.attnWeightStd),
      wk: matrix(nHeadKv * headDim, nEmbd, shape.attnWeightStd),
      wv: matrix(nHeadKv * headDim, nEmbd, 1 / Math.sqrt(nEmbd)),
      wo: matrix(nEmbd, nEmbd, 1 / Math.sqrt(nEmbd)),
      ffnNorm: norm(nEmbd),
      gate: matrix(nFf, nEmbd, 1 / Math.sqrt(nEmbd)),
      up: matrix(nFf, nEmbd, 1 / Math.sqrt(nEmbd)),
      down: matrix(nEmbd, nFf, 1 / Math.sqrt(nFf)),
    })),
    outputNorm: norm(nEmbd),
    output: matrix(tinyVocabSize, nEmbd, 1 / Math.sqrt(nEmbd)),
  };

  const tensors: GgufTensorInput[] = [];
  const addMatrix = (name: string, m: TinyMatrix): void => {
    tensors.push({name, shape: [m.cols, m.rows], type: "f32", data: m.data});
  };
  addMatrix("token_embd.weight", weights.tokenEmbd);
  weights.layers.forEach((l, i) => {
    tensors.push({name: `blk.${i}.attn_norm.weight`, shape: [nEmbd], type: "f32", data: l.attnNorm});
    addMatrix(`blk.${i}.attn_q.weight`, l.wq);
    addMatrix(`blk.${i}.attn_k.weight`, l.wk);
    addMatrix(`blk.${i}.attn_v.weight`, l.wv);
    addMatrix(`blk.${i}.attn_output.weight`, l.wo);
    tensors.push({name: `blk.${i}.ffn_norm.weight`, shape: [nEmbd], type: "f32", data: l.ffnNorm});
    addMatrix(`blk.${i}.ffn_gate.weight`, l.gate);
    addMatrix(`blk.${i}.ffn_up.weight`, l.up);
    addMatrix(`blk.${i}.ffn_down.weight`, l.down);
  });
  tensors.push({name: "output_norm.weight", shape: [nEmbd], type: "f32", data: weights.outputNorm});
  addMatrix("output.weight", weights.output);

  const tokens = ["<unk>", "<s>", "</s>"];
  for (let b = 0; b < 256; b++) tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  tokens.push("\u2581");
  const tokenTypes = tokens.map((_, i) => (i === 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1));

  // F32 weights throughout, so the reference math in referenceLlama.ts is exact; the project's GGUF writer encodes it.
  writeFileSync(
    path,
    encodeGguf({
      metadata: {
        "general.architecture": "llama",
        "general.name": "dynsplit-tiny-random",
        "llama.context_length": gguf.u32(shape.contextLength),
        "llama.embedding_length": gguf.u32(nEmbd),
        "llama.block_count": gguf.u32(nLayer),
        "llama.feed_forward_length": gguf.u32(nFf),
        "llama.attention.head_count": gguf.u32(nHead),
        "llama.attention.head_count_kv": gguf.u32(nHeadKv),
        "llama.attention.layer_norm_rms_epsilon": gguf.f32(shape.rmsEps),
        "llama.rope.freq_base": gguf.f32(shape.ropeFreqBase),
        "llama.rope.dimension_count": gguf.u32(headDim),
        "tokenizer.ggml.model": "llama",
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.scores": gguf.array(
          "f32",
          tokens.map(() => 0)
        ),
        "tokenizer.ggml.token_type": gguf.array("i32", tokenTypes),
        "tokenizer.ggml.bos_token_id": gguf.u32(1),
        "tokenizer.ggml.eos_token_id": gguf.u32(2),
        "tokenizer.ggml.unknown_token_id": gguf.u32(0),
        "tokenizer.ggml.add_space_prefix": false,
      },
      tensors,
    })
  );
  return weights;
}
