/**
 * GGUF v3 writer. General purpose: any architecture, metadata of every GGUF value type,
 * F32 / F16 tensors (or pre-encoded bytes of any ggml type).
 *
 * Example (a random-weight llama model is built in test/unit/gguf.test.ts):
 *   await writeGguf("m.gguf", {
 *     metadata: { "general.architecture": "llama", "llama.block_count": gguf.u32(2), ... },
 *     tensors: [{ name: "token_embd.weight", shape: [nEmbd, nVocab], type: "f16", data: float32Array }],
 *   });
 *
 * Shapes are ggml order: shape[0] is the fastest-varying (contiguous) dimension. A PyTorch
 * Linear weight [out, in] is therefore written with shape [in, out] and its row-major data as is.
 */
import {writeFile} from "node:fs/promises";
import {toFloat16Array} from "./float16";
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VERSION,
  GgmlType,
  type GgufMetadataInput,
  type GgufScalarTypeName,
  type GgufTypedValue,
  GgufValueType,
  SCALAR_TYPE_IDS,
  ggmlTensorBytes,
} from "./ggufTypes";

export type GgufTensorInput =
  | {
      name: string;
      /** ggml order: [ne0, ne1, ...], ne0 contiguous. */
      shape: readonly number[];
      /** Storage type; the data is given as float32 and converted. */
      type: "f32" | "f16";
      data: Float32Array | readonly number[];
    }
  | {
      name: string;
      shape: readonly number[];
      /** Any ggml type id with bytes already encoded (e.g. quantized blocks). */
      ggmlType: number;
      bytes: Uint8Array;
    };

export interface GgufWriteInput {
  /** Insertion order is kept in the file. */
  metadata: Record<string, GgufMetadataInput>;
  tensors: readonly GgufTensorInput[];
  /** Data alignment; written as `general.alignment` when it differs from 32. */
  alignment?: number;
}

/** Growable little-endian byte sink. */
class ByteSink {
  private chunks: Uint8Array[] = [];
  length = 0;

  bytes(data: Uint8Array): void {
    this.chunks.push(data);
    this.length += data.length;
  }
  private fixed(n: number, write: (b: Buffer) => void): void {
    const b = Buffer.alloc(n);
    write(b);
    this.bytes(b);
  }
  u8(v: number) {
    this.fixed(1, (b) => b.writeUInt8(v));
  }
  i8(v: number) {
    this.fixed(1, (b) => b.writeInt8(v));
  }
  u16(v: number) {
    this.fixed(2, (b) => b.writeUInt16LE(v));
  }
  i16(v: number) {
    this.fixed(2, (b) => b.writeInt16LE(v));
  }
  u32(v: number) {
    this.fixed(4, (b) => b.writeUInt32LE(v));
  }
  i32(v: number) {
    this.fixed(4, (b) => b.writeInt32LE(v));
  }
  u64(v: number | bigint) {
    this.fixed(8, (b) => b.writeBigUInt64LE(BigInt(v)));
  }
  i64(v: number | bigint) {
    this.fixed(8, (b) => b.writeBigInt64LE(BigInt(v)));
  }
  f32(v: number) {
    this.fixed(4, (b) => b.writeFloatLE(v));
  }
  f64(v: number) {
    this.fixed(8, (b) => b.writeDoubleLE(v));
  }
  str(s: string) {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.bytes(b);
  }
  padTo(alignment: number) {
    const pad = (alignment - (this.length % alignment)) % alignment;
    if (pad) this.bytes(new Uint8Array(pad));
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function normalizeValue(key: string, v: GgufMetadataInput): GgufTypedValue {
  if (typeof v === "string") return {type: "string", value: v};
  if (typeof v === "boolean") return {type: "bool", value: v};
  if (Array.isArray(v)) return {type: "array", itemType: "string", value: v as readonly string[]};
  if (typeof v === "object" && v !== null && "type" in v) return v as GgufTypedValue;
  throw new Error(`GGUF metadata "${key}": numbers need an explicit type, e.g. gguf.u32(${String(v)})`);
}

function writeScalar(sink: ByteSink, type: GgufScalarTypeName, value: unknown, key: string): void {
  const num = () => {
    if (typeof value !== "number" || (!Number.isFinite(value) && type !== "f32" && type !== "f64")) {
      throw new Error(`GGUF metadata "${key}": expected a number for ${type}, got ${String(value)}`);
    }
    return value as number;
  };
  const int = (lo: number, hi: number) => {
    const n = num();
    if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`GGUF metadata "${key}": ${n} is not a valid ${type}`);
    return n;
  };
  switch (type) {
    case "u8":
      return sink.u8(int(0, 0xff));
    case "i8":
      return sink.i8(int(-0x80, 0x7f));
    case "u16":
      return sink.u16(int(0, 0xffff));
    case "i16":
      return sink.i16(int(-0x8000, 0x7fff));
    case "u32":
      return sink.u32(int(0, 0xffffffff));
    case "i32":
      return sink.i32(int(-0x80000000, 0x7fffffff));
    case "u64":
      return sink.u64(typeof value === "bigint" ? value : int(0, Number.MAX_SAFE_INTEGER));
    case "i64":
      return sink.i64(typeof value === "bigint" ? value : int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
    case "f32":
      return sink.f32(num());
    case "f64":
      return sink.f64(num());
    case "bool":
      if (typeof value !== "boolean") throw new Error(`GGUF metadata "${key}": expected a boolean`);
      return sink.u8(value ? 1 : 0);
    case "string":
      if (typeof value !== "string") throw new Error(`GGUF metadata "${key}": expected a string`);
      return sink.str(value);
  }
}

function writeMetadataValue(sink: ByteSink, key: string, v: GgufTypedValue): void {
  if (v.type === "array") {
    sink.u32(GgufValueType.ARRAY);
    sink.u32(SCALAR_TYPE_IDS[v.itemType]);
    sink.u64(v.value.length);
    for (let i = 0; i < v.value.length; i++) writeScalar(sink, v.itemType, v.value[i], `${key}[${i}]`);
    return;
  }
  sink.u32(SCALAR_TYPE_IDS[v.type]);
  writeScalar(sink, v.type, v.value, key);
}

interface EncodedTensor {
  name: string;
  shape: readonly number[];
  ggmlType: number;
  bytes: Uint8Array;
}

function encodeTensor(t: GgufTensorInput): EncodedTensor {
  if (t.shape.length < 1 || t.shape.length > 4 || t.shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`GGUF tensor "${t.name}": shape must be 1-4 positive integers, got [${t.shape.join(", ")}]`);
  }
  const elements = t.shape.reduce((a, b) => a * b, 1);
  if ("bytes" in t) {
    const expected = ggmlTensorBytes(t.ggmlType, elements);
    if (expected !== undefined && expected !== t.bytes.length) {
      throw new Error(`GGUF tensor "${t.name}": ${t.bytes.length} bytes given, ${expected} expected`);
    }
    return {name: t.name, shape: t.shape, ggmlType: t.ggmlType, bytes: t.bytes};
  }
  if (t.data.length !== elements) {
    throw new Error(`GGUF tensor "${t.name}": ${t.data.length} values for shape [${t.shape.join(", ")}] (${elements})`);
  }
  if (t.type === "f32") {
    const f = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    return {name: t.name, shape: t.shape, ggmlType: GgmlType.F32, bytes: new Uint8Array(f.buffer, f.byteOffset, f.byteLength)};
  }
  const h = toFloat16Array(t.data);
  return {name: t.name, shape: t.shape, ggmlType: GgmlType.F16, bytes: new Uint8Array(h.buffer)};
}

/** Serialize a GGUF v3 file into memory. */
export function encodeGguf(input: GgufWriteInput): Buffer {
  const alignment = input.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  const metadata: [string, GgufTypedValue][] = Object.entries(input.metadata).map(([k, v]) => [k, normalizeValue(k, v)]);
  if (alignment !== GGUF_DEFAULT_ALIGNMENT && !("general.alignment" in input.metadata)) {
    metadata.push(["general.alignment", {type: "u32", value: alignment}]);
  }
  const tensors = input.tensors.map(encodeTensor);
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) throw new Error(`GGUF tensor "${t.name}" appears twice`);
    names.add(t.name);
  }

  const sink = new ByteSink();
  sink.u32(GGUF_MAGIC);
  sink.u32(GGUF_VERSION);
  sink.u64(tensors.length);
  sink.u64(metadata.length);
  for (const [key, value] of metadata) {
    sink.str(key);
    writeMetadataValue(sink, key, value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    offsets.push(offset);
    offset += Math.ceil(t.bytes.length / alignment) * alignment;
  }
  tensors.forEach((t, i) => {
    sink.str(t.name);
    sink.u32(t.shape.length);
    for (const d of t.shape) sink.u64(d);
    sink.u32(t.ggmlType);
    sink.u64(offsets[i]);
  });
  sink.padTo(alignment);
  for (const t of tensors) {
    sink.bytes(t.bytes);
    sink.padTo(alignment);
  }
  return sink.toBuffer();
}

/** Write a GGUF v3 file. Returns the number of bytes written. */
export async function writeGguf(path: string, input: GgufWriteInput): Promise<number> {
  const buffer = encodeGguf(input);
  await writeFile(path, buffer);
  return buffer.length;
}
