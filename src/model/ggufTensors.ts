/**
 * Reading a llama GGUF back: its F32/F16 tensors as float32 and its hyperparameters, for the training checkpoint
 * (scripts/model/ggufToExport.ts) and for tests that check llama.cpp against reference math on a real model file.
 */
import {closeSync, openSync, readSync} from "node:fs";
import {float16BitsToFloat32} from "../engine/gguf/float16";
import type {GgufHeaderInfo} from "../engine/gguf/ggufHeader";
import type {LlamaHyperparameters} from "./llamaGguf";

const GGML_F32 = 0;
const GGML_F16 = 1;

/** One tensor as float32, in ggml order (shape[0] varies fastest, i.e. torch's [out, in] for a matrix). */
export function readF32Tensor(path: string, info: GgufHeaderInfo, name: string): {shape: number[]; data: Float32Array} {
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

/** The hyperparameters of a llama-family GGUF, from its `{architecture}.*` keys. */
export function llamaHyperparametersOf(info: GgufHeaderInfo): LlamaHyperparameters {
  const md = (key: string) => Number(info.metadata.get(`${info.architecture}.${key}`));
  return {
    nLayer: md("block_count"),
    nEmbd: md("embedding_length"),
    nHead: md("attention.head_count"),
    nHeadKv: md("attention.head_count_kv"),
    nFf: md("feed_forward_length"),
    contextLength: md("context_length"),
    rmsEps: md("attention.layer_norm_rms_epsilon"),
    ropeFreqBase: md("rope.freq_base"),
    ...(info.metadata.has(`${info.architecture}.attention.key_length`) && {headDim: md("attention.key_length")}),
  };
}
