/**
 * Layer-0 attention weights of a llama GGUF (F32 or F16 tensors), in the shape the reference math reads
 * (referenceLlama.ts), so that the hook is checked on a real model file too, not only on the random test model.
 */
import {openSync, readSync, closeSync} from "node:fs";
import {float16BitsToFloat32} from "../../../src/engine/gguf/float16";
import {readGgufHeader, type GgufHeaderInfo} from "../../../src/engine/gguf/ggufHeader";
import type {TinyLlamaWeights, TinyMatrix} from "./tinyLlamaGguf";

const GGML_F32 = 0;
const GGML_F16 = 1;

function tensor(path: string, info: GgufHeaderInfo, name: string): {shape: number[]; data: Float32Array} {
  const t = info.tensors.find((x) => x.name === name);
  if (!t) throw new Error(`${path} has no tensor ${name}`);
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (t.ggmlType !== GGML_F32 && t.ggmlType !== GGML_F16) throw new Error(`${name}: ggml type ${t.ggmlType} is neither F32 nor F16`);
  const bytes = Buffer.alloc(n * (t.ggmlType === GGML_F32 ? 4 : 2));
  const fd = openSync(path, "r");
  try {
    readSync(fd, bytes, 0, bytes.length, info.dataOffset + t.offset);
  } finally {
    closeSync(fd);
  }
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++)
    data[i] = t.ggmlType === GGML_F32 ? bytes.readFloatLE(4 * i) : float16BitsToFloat32(bytes.readUInt16LE(2 * i));
  return {shape: t.shape, data};
}

function matrix(path: string, info: GgufHeaderInfo, name: string): TinyMatrix {
  const {shape, data} = tensor(path, info, name);
  return {rows: shape[1], cols: shape[0], data}; // ggml [cols, rows], row-major
}

/** Only what layer-0 attention needs is filled in (embeddings, attention norm, Wq, Wk); the rest is empty. */
export async function readLayer0Weights(path: string): Promise<TinyLlamaWeights> {
  const info = await readGgufHeader(path);
  const md = (key: string) => Number(info.metadata.get(`${info.architecture}.${key}`));
  const empty: TinyMatrix = {rows: 0, cols: 0, data: new Float32Array(0)};
  const embd = matrix(path, info, "token_embd.weight");
  return {
    shape: {
      nLayer: md("block_count"),
      nEmbd: md("embedding_length"),
      nHead: md("attention.head_count"),
      nHeadKv: md("attention.head_count_kv"),
      nFf: md("feed_forward_length"),
      contextLength: md("context_length"),
      ropeFreqBase: md("rope.freq_base"),
      rmsEps: md("attention.layer_norm_rms_epsilon"),
      attnWeightStd: 0,
      seed: 0,
    },
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
