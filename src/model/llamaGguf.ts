/**
 * Assemble a llama-architecture GGUF from hyperparameters, a vocabulary and weights, with the
 * metadata keys llama.cpp needs. Used by the model export and by tests that need random models.
 */
import {type GgufTensorInput, writeGguf} from "../engine/gguf/ggufWriter";
import {type GgufMetadataInput, gguf} from "../engine/gguf/ggufTypes";
import type {Vocabulary} from "./codeVocab";

export interface LlamaHyperparameters {
  nLayer: number;
  nEmbd: number;
  nHead: number;
  nHeadKv: number;
  nFf: number;
  contextLength: number;
  rmsEps: number;
  ropeFreqBase: number;
  /** Per-head dimension of q/k/v (default nEmbd / nHead); llama.cpp reads it from attention.key_length. */
  headDim?: number;
}

export const headDimOf = (h: LlamaHyperparameters): number => h.headDim ?? h.nEmbd / h.nHead;

export interface LlamaWeights {
  /** Torch layout [nVocab, nEmbd]. */
  tokenEmbd: Float32Array;
  layers: {
    attnNorm: Float32Array;
    /** Torch Linear layout [out, in], RoPE pairs adjacent (llama.cpp "normal" rope). */
    wq: Float32Array;
    wk: Float32Array;
    wv: Float32Array;
    wo: Float32Array;
    ffnNorm: Float32Array;
    wGate: Float32Array;
    wUp: Float32Array;
    wDown: Float32Array;
  }[];
  outputNorm: Float32Array;
  /** [nVocab, nEmbd]; omit to tie with tokenEmbd. */
  output?: Float32Array;
}

export interface LlamaGgufOptions {
  name: string;
  hparams: LlamaHyperparameters;
  vocab: Vocabulary;
  weights: LlamaWeights;
  /** Matrices as f16 (norms stay f32). Default true. */
  f16?: boolean;
  extraMetadata?: Record<string, GgufMetadataInput>;
}

export function llamaGgufInput(o: LlamaGgufOptions): {metadata: Record<string, GgufMetadataInput>; tensors: GgufTensorInput[]} {
  const h = o.hparams;
  const headDim = headDimOf(h);
  const qDim = h.nHead * headDim;
  const nVocab = o.vocab.tokens.length;
  const mat = o.f16 === false ? "f32" : "f16";
  const metadata: Record<string, GgufMetadataInput> = {
    "general.architecture": "llama",
    "general.name": o.name,
    "general.file_type": gguf.u32(mat === "f16" ? 1 : 0),
    "llama.context_length": gguf.u32(h.contextLength),
    "llama.embedding_length": gguf.u32(h.nEmbd),
    "llama.block_count": gguf.u32(h.nLayer),
    "llama.feed_forward_length": gguf.u32(h.nFf),
    "llama.attention.head_count": gguf.u32(h.nHead),
    "llama.attention.head_count_kv": gguf.u32(h.nHeadKv),
    "llama.attention.layer_norm_rms_epsilon": gguf.f32(h.rmsEps),
    "llama.rope.dimension_count": gguf.u32(headDim),
    "llama.rope.freq_base": gguf.f32(h.ropeFreqBase),
    ...(headDim !== h.nEmbd / h.nHead && {
      "llama.attention.key_length": gguf.u32(headDim),
      "llama.attention.value_length": gguf.u32(headDim),
    }),
    "llama.vocab_size": gguf.u32(nVocab),
    "tokenizer.ggml.model": "llama",
    "tokenizer.ggml.tokens": o.vocab.tokens,
    "tokenizer.ggml.scores": gguf.array("f32", o.vocab.scores),
    "tokenizer.ggml.token_type": gguf.array("i32", o.vocab.types),
    "tokenizer.ggml.bos_token_id": gguf.u32(1),
    "tokenizer.ggml.eos_token_id": gguf.u32(2),
    "tokenizer.ggml.unknown_token_id": gguf.u32(0),
    "tokenizer.ggml.add_bos_token": true,
    "tokenizer.ggml.add_eos_token": false,
    "tokenizer.ggml.add_space_prefix": false,
    ...o.extraMetadata,
  };
  const w = o.weights;
  const kvDim = h.nHeadKv * headDim;
  const tensors: GgufTensorInput[] = [{name: "token_embd.weight", shape: [h.nEmbd, nVocab], type: mat, data: w.tokenEmbd}];
  w.layers.forEach((l, i) => {
    const p = `blk.${i}.`;
    tensors.push(
      {name: p + "attn_norm.weight", shape: [h.nEmbd], type: "f32", data: l.attnNorm},
      {name: p + "attn_q.weight", shape: [h.nEmbd, qDim], type: mat, data: l.wq},
      {name: p + "attn_k.weight", shape: [h.nEmbd, kvDim], type: mat, data: l.wk},
      {name: p + "attn_v.weight", shape: [h.nEmbd, kvDim], type: mat, data: l.wv},
      {name: p + "attn_output.weight", shape: [qDim, h.nEmbd], type: mat, data: l.wo},
      {name: p + "ffn_norm.weight", shape: [h.nEmbd], type: "f32", data: l.ffnNorm},
      {name: p + "ffn_gate.weight", shape: [h.nEmbd, h.nFf], type: mat, data: l.wGate},
      {name: p + "ffn_up.weight", shape: [h.nEmbd, h.nFf], type: mat, data: l.wUp},
      {name: p + "ffn_down.weight", shape: [h.nFf, h.nEmbd], type: mat, data: l.wDown}
    );
  });
  tensors.push({name: "output_norm.weight", shape: [h.nEmbd], type: "f32", data: w.outputNorm});
  if (w.output) tensors.push({name: "output.weight", shape: [h.nEmbd, nVocab], type: mat, data: w.output});
  return {metadata, tensors};
}

export async function writeLlamaGguf(path: string, o: LlamaGgufOptions): Promise<number> {
  return writeGguf(path, llamaGgufInput(o));
}

/** Random weights (deterministic), e.g. for loader tests. */
export function randomLlamaWeights(h: LlamaHyperparameters, nVocab: number, seed = 1): LlamaWeights {
  let s = seed >>> 0;
  const rand = (n: number, scale: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      a[i] = (s / 4294967296 - 0.5) * 2 * scale;
    }
    return a;
  };
  const ones = (n: number) => new Float32Array(n).fill(1);
  const qDim = h.nHead * headDimOf(h);
  const kvDim = h.nHeadKv * headDimOf(h);
  const sc = 1 / Math.sqrt(h.nEmbd);
  return {
    tokenEmbd: rand(nVocab * h.nEmbd, 1),
    layers: Array.from({length: h.nLayer}, () => ({
      attnNorm: ones(h.nEmbd),
      wq: rand(qDim * h.nEmbd, sc),
      wk: rand(kvDim * h.nEmbd, sc),
      wv: rand(kvDim * h.nEmbd, sc),
      wo: rand(h.nEmbd * qDim, sc),
      ffnNorm: ones(h.nEmbd),
      wGate: rand(h.nFf * h.nEmbd, sc),
      wUp: rand(h.nFf * h.nEmbd, sc),
      wDown: rand(h.nEmbd * h.nFf, 1 / Math.sqrt(h.nFf)),
    })),
    outputNorm: ones(h.nEmbd),
    output: rand(nVocab * h.nEmbd, sc),
  };
}
