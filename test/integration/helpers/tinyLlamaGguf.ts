/**
 * A minimal private GGUF v3 writer for a random-weight llama model (facts: docs llama-notes §1), used by the
 * signal tests and the probe benchmark so they run without a committed model. F32 weights only, so that
 * reference math in JS sees exactly the weights llama.cpp uses. Returns the weights for reference math.
 */
import { writeFileSync } from "node:fs";

export interface TinyLlamaShape {
  nLayer: number;
  nEmbd: number;
  nHead: number;
  nHeadKv: number;
  nFf: number;
  contextLength: number;
  ropeFreqBase: number;
  rmsEps: number;
  /** Standard deviation of the random weights of the attention projections (sharper attention when larger). */
  attnWeightStd: number;
  seed: number;
}

export const defaultTinyLlamaShape: TinyLlamaShape = {
  nLayer: 2, nEmbd: 64, nHead: 4, nHeadKv: 2, nFf: 128, contextLength: 8192,
  ropeFreqBase: 10000, rmsEps: 1e-5, attnWeightStd: 0.15, seed: 1234,
};

/** Row-major matrices: `rows` outputs of `cols` inputs (ggml dims `[cols, rows]`). */
export interface TinyMatrix { rows: number; cols: number; data: Float32Array }

export interface TinyLlamaLayerWeights {
  attnNorm: Float32Array; wq: TinyMatrix; wk: TinyMatrix; wv: TinyMatrix; wo: TinyMatrix;
  ffnNorm: Float32Array; gate: TinyMatrix; up: TinyMatrix; down: TinyMatrix;
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

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class ByteSink {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void { this.chunks.push(b); this.length += b.length; }
  u32(v: number): void { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.push(b); }
  i32(v: number): void { const b = Buffer.alloc(4); b.writeInt32LE(v); this.push(b); }
  u64(v: number): void { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.push(b); }
  f32(v: number): void { const b = Buffer.alloc(4); b.writeFloatLE(v); this.push(b); }
  str(s: string): void { const b = Buffer.from(s, "utf8"); this.u64(b.length); this.push(b); }
  concat(): Buffer { return Buffer.concat(this.chunks); }
}

const GGUF_TYPE = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;
type KvValue =
  | { t: "u32"; v: number } | { t: "f32"; v: number } | { t: "str"; v: string } | { t: "bool"; v: boolean }
  | { t: "strArr"; v: string[] } | { t: "f32Arr"; v: number[] } | { t: "i32Arr"; v: number[] };

function writeKv(sink: ByteSink, key: string, value: KvValue): void {
  sink.str(key);
  switch (value.t) {
    case "u32": sink.u32(GGUF_TYPE.UINT32); sink.u32(value.v); break;
    case "f32": sink.u32(GGUF_TYPE.FLOAT32); sink.f32(value.v); break;
    case "str": sink.u32(GGUF_TYPE.STRING); sink.str(value.v); break;
    case "bool": sink.u32(GGUF_TYPE.BOOL); sink.push(Buffer.from([value.v ? 1 : 0])); break;
    case "strArr": sink.u32(GGUF_TYPE.ARRAY); sink.u32(GGUF_TYPE.STRING); sink.u64(value.v.length); value.v.forEach((s) => sink.str(s)); break;
    case "f32Arr": sink.u32(GGUF_TYPE.ARRAY); sink.u32(GGUF_TYPE.FLOAT32); sink.u64(value.v.length); value.v.forEach((x) => sink.f32(x)); break;
    case "i32Arr": sink.u32(GGUF_TYPE.ARRAY); sink.u32(GGUF_TYPE.INT32); sink.u64(value.v.length); value.v.forEach((x) => sink.i32(x)); break;
  }
}

/** Writes the model to `path` and returns its weights. */
export function writeTinyLlamaGguf(path: string, shapeOverrides: Partial<TinyLlamaShape> = {}): TinyLlamaWeights {
  const shape: TinyLlamaShape = { ...defaultTinyLlamaShape, ...shapeOverrides };
  const { nLayer, nEmbd, nHead, nHeadKv, nFf } = shape;
  const headDim = nEmbd / nHead;
  const rand = mulberry32(shape.seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const matrix = (rows: number, cols: number, std: number): TinyMatrix => {
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = gauss() * std;
    return { rows, cols, data };
  };
  const norm = (n: number): Float32Array => Float32Array.from({ length: n }, () => 1 + 0.1 * gauss());

  const weights: TinyLlamaWeights = {
    shape, vocabSize: tinyVocabSize,
    tokenEmbd: matrix(tinyVocabSize, nEmbd, 1),
    layers: Array.from({ length: nLayer }, () => ({
      attnNorm: norm(nEmbd),
      wq: matrix(nEmbd, nEmbd, shape.attnWeightStd), wk: matrix(nHeadKv * headDim, nEmbd, shape.attnWeightStd),
      wv: matrix(nHeadKv * headDim, nEmbd, 1 / Math.sqrt(nEmbd)), wo: matrix(nEmbd, nEmbd, 1 / Math.sqrt(nEmbd)),
      ffnNorm: norm(nEmbd),
      gate: matrix(nFf, nEmbd, 1 / Math.sqrt(nEmbd)), up: matrix(nFf, nEmbd, 1 / Math.sqrt(nEmbd)), down: matrix(nEmbd, nFf, 1 / Math.sqrt(nFf)),
    })),
    outputNorm: norm(nEmbd),
    output: matrix(tinyVocabSize, nEmbd, 1 / Math.sqrt(nEmbd)),
  };

  const tensors: { name: string; dims: number[]; data: Float32Array }[] = [];
  const addMatrix = (name: string, m: TinyMatrix): void => { tensors.push({ name, dims: [m.cols, m.rows], data: m.data }); };
  addMatrix("token_embd.weight", weights.tokenEmbd);
  weights.layers.forEach((l, i) => {
    tensors.push({ name: `blk.${i}.attn_norm.weight`, dims: [nEmbd], data: l.attnNorm });
    addMatrix(`blk.${i}.attn_q.weight`, l.wq); addMatrix(`blk.${i}.attn_k.weight`, l.wk);
    addMatrix(`blk.${i}.attn_v.weight`, l.wv); addMatrix(`blk.${i}.attn_output.weight`, l.wo);
    tensors.push({ name: `blk.${i}.ffn_norm.weight`, dims: [nEmbd], data: l.ffnNorm });
    addMatrix(`blk.${i}.ffn_gate.weight`, l.gate); addMatrix(`blk.${i}.ffn_up.weight`, l.up); addMatrix(`blk.${i}.ffn_down.weight`, l.down);
  });
  tensors.push({ name: "output_norm.weight", dims: [nEmbd], data: weights.outputNorm });
  addMatrix("output.weight", weights.output);

  const tokens = ["<unk>", "<s>", "</s>"];
  for (let b = 0; b < 256; b++) tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  tokens.push("\u2581");
  const tokenTypes = tokens.map((_, i) => (i === 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1));

  const kvs: [string, KvValue][] = [
    ["general.architecture", { t: "str", v: "llama" }],
    ["general.name", { t: "str", v: "dynsplit-tiny-random" }],
    ["llama.context_length", { t: "u32", v: shape.contextLength }],
    ["llama.embedding_length", { t: "u32", v: nEmbd }],
    ["llama.block_count", { t: "u32", v: nLayer }],
    ["llama.feed_forward_length", { t: "u32", v: nFf }],
    ["llama.attention.head_count", { t: "u32", v: nHead }],
    ["llama.attention.head_count_kv", { t: "u32", v: nHeadKv }],
    ["llama.attention.layer_norm_rms_epsilon", { t: "f32", v: shape.rmsEps }],
    ["llama.rope.freq_base", { t: "f32", v: shape.ropeFreqBase }],
    ["llama.rope.dimension_count", { t: "u32", v: headDim }],
    ["tokenizer.ggml.model", { t: "str", v: "llama" }],
    ["tokenizer.ggml.tokens", { t: "strArr", v: tokens }],
    ["tokenizer.ggml.scores", { t: "f32Arr", v: tokens.map(() => 0) }],
    ["tokenizer.ggml.token_type", { t: "i32Arr", v: tokenTypes }],
    ["tokenizer.ggml.bos_token_id", { t: "u32", v: 1 }],
    ["tokenizer.ggml.eos_token_id", { t: "u32", v: 2 }],
    ["tokenizer.ggml.unknown_token_id", { t: "u32", v: 0 }],
    ["tokenizer.ggml.add_space_prefix", { t: "bool", v: false }],
  ];

  const alignment = 32;
  const header = new ByteSink();
  header.u32(0x46554747); header.u32(3); header.u64(tensors.length); header.u64(kvs.length);
  for (const [k, v] of kvs) writeKv(header, k, v);
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    header.str(t.name); header.u32(t.dims.length); t.dims.forEach((d) => header.u64(d));
    header.u32(0 /* F32 */); header.u64(offset);
    offsets.push(offset);
    offset += Math.ceil((t.data.length * 4) / alignment) * alignment;
  }
  const headerBytes = header.concat();
  const dataStart = Math.ceil(headerBytes.length / alignment) * alignment;
  const out = Buffer.alloc(dataStart + offset);
  headerBytes.copy(out, 0);
  tensors.forEach((t, i) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, dataStart + offsets[i]));
  writeFileSync(path, out);
  return weights;
}
