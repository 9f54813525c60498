/**
 * GGUF header reader and validator. Reads magic, version, metadata and tensor infos
 * WITHOUT reading tensor data, and checks what llama.cpp needs before a file is handed to it.
 *
 * Why: llama.cpp aborts the whole process (GGML_ASSERT -> SIGABRT) on some malformed llama
 * files, e.g. a missing `llama.feed_forward_length` or `llama.attention.head_count`; inside
 * VS Code that kills the extension host. Call `validateGgufFile` before any `loadModel`.
 */
import {open, stat} from "node:fs/promises";
import type {FileHandle} from "node:fs/promises";
import {GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufValueType, ggmlTensorBytes} from "./ggufTypes";

export type GgufMetadataValue = number | bigint | boolean | string | GgufMetadataValue[];

export interface GgufTensorInfo {
  name: string;
  /** ggml order, shape[0] contiguous. */
  shape: number[];
  ggmlType: number;
  /** Relative to the start of the data section. */
  offset: number;
}

export interface GgufHeaderInfo {
  version: number;
  fileSize: number;
  metadata: Map<string, GgufMetadataValue>;
  /** Stored value type of each metadata key (arrays: GgufValueType.ARRAY). */
  metadataTypes: Map<string, GgufValueType>;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Absolute file offset of the tensor data section. */
  dataOffset: number;
  architecture: string | undefined;
}

export type GgufValidation = {ok: true; info: GgufHeaderInfo} | {ok: false; error: string};

export class GgufFormatError extends Error {}

const SUPPORTED_VERSIONS = [2, 3];
/** Caps that reject garbage lengths before allocating. */
const MAX_STRING_BYTES = 1 << 26;
const MAX_ARRAY_ITEMS = 1 << 26;
const MAX_COUNT = 1 << 24;

/** Sequential reader over a file handle that pulls bytes in chunks on demand. */
class ChunkedReader {
  private buf = Buffer.alloc(0);
  private bufStart = 0; // file offset of buf[0]
  pos = 0; // absolute file offset of the cursor

  constructor(
    private fh: FileHandle,
    private fileSize: number
  ) {}

  private async ensure(n: number): Promise<void> {
    const have = this.bufStart + this.buf.length - this.pos;
    if (have >= n) return;
    if (this.pos + n > this.fileSize) {
      throw new GgufFormatError(`truncated: needs ${this.pos + n} bytes in the header, the file has ${this.fileSize}`);
    }
    const want = Math.max(n, 1 << 20);
    const len = Math.min(want, this.fileSize - this.pos);
    const next = Buffer.alloc(len);
    const {bytesRead} = await this.fh.read(next, 0, len, this.pos);
    if (bytesRead < n) throw new GgufFormatError(`truncated: short read at offset ${this.pos}`);
    this.buf = next.subarray(0, bytesRead);
    this.bufStart = this.pos;
  }
  private async take(n: number): Promise<Buffer> {
    await this.ensure(n);
    const start = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(start, start + n);
  }
  async u8() {
    return (await this.take(1)).readUInt8(0);
  }
  async i8() {
    return (await this.take(1)).readInt8(0);
  }
  async u16() {
    return (await this.take(2)).readUInt16LE(0);
  }
  async i16() {
    return (await this.take(2)).readInt16LE(0);
  }
  async u32() {
    return (await this.take(4)).readUInt32LE(0);
  }
  async i32() {
    return (await this.take(4)).readInt32LE(0);
  }
  async f32() {
    return (await this.take(4)).readFloatLE(0);
  }
  async f64() {
    return (await this.take(8)).readDoubleLE(0);
  }
  async u64big() {
    return (await this.take(8)).readBigUInt64LE(0);
  }
  async i64big() {
    return (await this.take(8)).readBigInt64LE(0);
  }
  /** u64 that must fit a JS number and stay below `max`. */
  async count(what: string, max: number): Promise<number> {
    const v = await this.u64big();
    if (v > BigInt(max)) throw new GgufFormatError(`implausible ${what} ${v} at offset ${this.pos - 8} (corrupt header?)`);
    return Number(v);
  }
  async str(what: string): Promise<string> {
    const n = await this.count(`${what} length`, MAX_STRING_BYTES);
    return (await this.take(n)).toString("utf8");
  }
}

const numberOrBig = (v: bigint): number | bigint =>
  v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;

async function readScalar(r: ChunkedReader, type: number, key: string): Promise<GgufMetadataValue> {
  switch (type) {
    case GgufValueType.UINT8:
      return r.u8();
    case GgufValueType.INT8:
      return r.i8();
    case GgufValueType.UINT16:
      return r.u16();
    case GgufValueType.INT16:
      return r.i16();
    case GgufValueType.UINT32:
      return r.u32();
    case GgufValueType.INT32:
      return r.i32();
    case GgufValueType.FLOAT32:
      return r.f32();
    case GgufValueType.FLOAT64:
      return r.f64();
    case GgufValueType.UINT64:
      return numberOrBig(await r.u64big());
    case GgufValueType.INT64:
      return numberOrBig(await r.i64big());
    case GgufValueType.BOOL: {
      const b = await r.u8();
      if (b > 1) throw new GgufFormatError(`metadata "${key}": invalid bool byte ${b}`);
      return b === 1;
    }
    case GgufValueType.STRING:
      return r.str(`metadata "${key}" string`);
    default:
      throw new GgufFormatError(`metadata "${key}": unknown value type ${type}`);
  }
}

async function readValue(r: ChunkedReader, type: number, key: string): Promise<GgufMetadataValue> {
  if (type !== GgufValueType.ARRAY) return readScalar(r, type, key);
  const itemType = await r.u32();
  const n = await r.count(`metadata "${key}" array length`, MAX_ARRAY_ITEMS);
  const out: GgufMetadataValue[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = await readValue(r, itemType, key);
  return out;
}

/** Read the header (metadata + tensor infos) of a GGUF file. Throws GgufFormatError on malformed input. */
export async function readGgufHeader(path: string): Promise<GgufHeaderInfo> {
  const st = await stat(path);
  if (!st.isFile()) throw new GgufFormatError(`not a file: ${path}`);
  const fh = await open(path, "r");
  try {
    const r = new ChunkedReader(fh, st.size);
    if (st.size < 8) throw new GgufFormatError(`truncated: ${st.size} bytes is too small for a GGUF header`);
    const magic = await r.u32();
    if (magic !== GGUF_MAGIC) {
      throw new GgufFormatError(`not a GGUF file: bad magic 0x${magic.toString(16).padStart(8, "0")} (expected "GGUF")`);
    }
    const version = await r.u32();
    if (!SUPPORTED_VERSIONS.includes(version))
      throw new GgufFormatError(`unsupported GGUF version ${version} (supported: ${SUPPORTED_VERSIONS.join(", ")})`);
    const tensorCount = await r.count("tensor count", MAX_COUNT);
    const kvCount = await r.count("metadata count", MAX_COUNT);
    const metadata = new Map<string, GgufMetadataValue>();
    const metadataTypes = new Map<string, GgufValueType>();
    for (let i = 0; i < kvCount; i++) {
      const key = await r.str("metadata key");
      const type = await r.u32();
      metadata.set(key, await readValue(r, type, key));
      metadataTypes.set(key, type);
    }
    const tensors: GgufTensorInfo[] = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = await r.str("tensor name");
      const nDims = await r.u32();
      if (nDims < 1 || nDims > 4) throw new GgufFormatError(`tensor "${name}": invalid dimension count ${nDims}`);
      const shape: number[] = [];
      for (let d = 0; d < nDims; d++) shape.push(await r.count(`tensor "${name}" dim`, Number.MAX_SAFE_INTEGER));
      const ggmlType = await r.u32();
      const offset = await r.count(`tensor "${name}" offset`, Number.MAX_SAFE_INTEGER);
      tensors.push({name, shape, ggmlType, offset});
    }
    const alignmentValue = metadata.get("general.alignment");
    const alignment = typeof alignmentValue === "number" && alignmentValue > 0 ? alignmentValue : GGUF_DEFAULT_ALIGNMENT;
    const dataOffset = Math.ceil(r.pos / alignment) * alignment;
    const arch = metadata.get("general.architecture");
    return {
      version,
      fileSize: st.size,
      metadata,
      metadataTypes,
      tensors,
      alignment,
      dataOffset,
      architecture: typeof arch === "string" ? arch : undefined,
    };
  } finally {
    await fh.close();
  }
}

const isPositiveCount = (v: GgufMetadataValue | undefined): boolean => {
  if (typeof v === "number") return Number.isInteger(v) && v >= 1;
  if (Array.isArray(v)) return v.length > 0 && v.every((x) => typeof x === "number" && x >= 1); // per-layer arrays
  return false;
};

/** Problems that llama.cpp would reject (or crash on) for a llama-architecture file. */
function llamaProblems(info: GgufHeaderInfo): string[] {
  const problems: string[] = [];
  const md = info.metadata;
  const a = "llama";
  const positive = [
    `${a}.context_length`,
    `${a}.embedding_length`,
    `${a}.block_count`,
    `${a}.feed_forward_length`, // missing => GGML_ASSERT abort in llama.cpp
    `${a}.attention.head_count`, // missing => GGML_ASSERT abort in llama.cpp
  ];
  for (const key of positive) {
    if (!md.has(key)) problems.push(`missing required key "${key}"`);
    else if (!isPositiveCount(md.get(key))) problems.push(`key "${key}" must be a positive integer, got ${String(md.get(key))}`);
  }
  const eps = md.get(`${a}.attention.layer_norm_rms_epsilon`);
  if (eps === undefined) problems.push(`missing required key "${a}.attention.layer_norm_rms_epsilon"`);
  else if (typeof eps !== "number") problems.push(`key "${a}.attention.layer_norm_rms_epsilon" must be a number`);
  const headCountKv = md.get(`${a}.attention.head_count_kv`);
  if (headCountKv !== undefined && !isPositiveCount(headCountKv))
    problems.push(`key "${a}.attention.head_count_kv" must be a positive integer`);
  if (!md.has("tokenizer.ggml.model")) problems.push(`missing required key "tokenizer.ggml.model"`);
  const tokens = md.get("tokenizer.ggml.tokens");
  if (!Array.isArray(tokens) || tokens.length === 0) problems.push(`missing required key "tokenizer.ggml.tokens" (non-empty string array)`);
  if (problems.length) return problems;

  // Tensor shapes that llama.cpp checks; a mismatch fails the load, so report it up front.
  const nEmbd = md.get(`${a}.embedding_length`) as number;
  const nHead = md.get(`${a}.attention.head_count`);
  const nVocab = (tokens as unknown[]).length;
  const byName = new Map(info.tensors.map((t) => [t.name, t]));
  const embd = byName.get("token_embd.weight");
  if (!embd) problems.push(`missing tensor "token_embd.weight"`);
  else if (embd.shape[0] !== nEmbd || embd.shape[1] !== nVocab) {
    problems.push(`tensor "token_embd.weight" has shape [${embd.shape}] but expected [${nEmbd}, ${nVocab}]`);
  }
  const nLayer = md.get(`${a}.block_count`) as number;
  for (let l = 0; l < nLayer; l++) {
    for (const part of ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_down", "ffn_up"]) {
      if (!byName.has(`blk.${l}.${part}.weight`)) problems.push(`missing tensor "blk.${l}.${part}.weight"`);
    }
  }
  if (typeof nHead === "number" && nEmbd % nHead !== 0 && !md.has(`${a}.attention.key_length`)) {
    problems.push(`embedding_length ${nEmbd} is not divisible by head_count ${nHead}`);
  }
  return problems;
}

/** Generic checks for any architecture: tensor data lies inside the file. */
function dataProblems(info: GgufHeaderInfo): string[] {
  const problems: string[] = [];
  for (const t of info.tensors) {
    if (t.offset % info.alignment !== 0) problems.push(`tensor "${t.name}": offset ${t.offset} is not aligned to ${info.alignment}`);
    const elements = t.shape.reduce((x, y) => x * y, 1);
    const bytes = ggmlTensorBytes(t.ggmlType, elements);
    if (bytes === undefined) continue;
    const end = info.dataOffset + t.offset + bytes;
    if (end > info.fileSize) {
      problems.push(`truncated: tensor "${t.name}" ends at byte ${end} but the file has ${info.fileSize} bytes`);
      break;
    }
  }
  return problems;
}

/**
 * Validate a GGUF file without loading its tensors. Never throws; errors are human-readable.
 * For `general.architecture = "llama"` it also checks the keys and tensors llama.cpp requires.
 */
export async function validateGgufFile(path: string): Promise<GgufValidation> {
  let info: GgufHeaderInfo;
  try {
    info = await readGgufHeader(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT") return {ok: false, error: `not a file: ${path} does not exist`};
    if (err.code === "EISDIR") return {ok: false, error: `not a file: ${path} is a directory`};
    const msg = e instanceof Error ? e.message : String(e);
    return {ok: false, error: `${path}: ${msg}`};
  }
  const problems = dataProblems(info);
  if (info.architecture === undefined) problems.push(`missing required key "general.architecture"`);
  else if (info.architecture === "llama") problems.push(...llamaProblems(info));
  if (problems.length) return {ok: false, error: `${path}: ${problems.join("; ")}`};
  return {ok: true, info};
}
