/**
 * One file of the block store on disk: its tokens, lines, DynSplit blocks, the blocks' fixed-size key summaries and,
 * optionally, the K/V rows of every token (so a selected block can be restored instead of recomputed).
 *
 * Layout (little-endian):
 *   0  u32 magic 'DSR1'    4 u32 version    8 u32 meta bytes    12 u32 reserved
 *   16 u64 body bytes      24 u64 kv bytes
 *   32 sha256(meta ‖ body) 64 sha256(kv) (zeros when there is no kv)
 *   96 meta (JSON, utf-8), then the body at the next multiple of 4, then the kv section.
 * body: header ids i32[h] · body ids i32[n] · lines i32[n] · block offsets i32[b+1] · block scores f32[b] ·
 *       summaries f32[b × dim] · window positions i32[h + n]
 * kv:   (h + n) rows of `kv.stride` bytes; a row is every layer's K row, then every layer's V row, in the cache's types.
 * A record is content-addressed (its file's path and content); a checksum mismatch makes it unusable, never used.
 */
import {createHash} from "node:crypto";

const MAGIC = 0x31525344; // 'DSR1'
export const RECORD_VERSION = 1;
const HEAD = 96;

export interface KvRowLayout {
  /** Bytes of one token's row: Σ layers (kRowBytes + vRowBytes). */
  stride: number;
  layers: {kType: number; kRowBytes: number; vType: number; vRowBytes: number}[];
}

export interface FileRecordMeta {
  path: string;
  /** sha256 of the file's content. */
  contentSha: string;
  headerTokens: number;
  bodyTokens: number;
  blocks: number;
  /** Floats per block summary (0 when keys could not be read). */
  summaryDim: number;
  /** Present when the record holds K/V rows. */
  kv?: KvRowLayout;
}

export interface FileRecord {
  meta: FileRecordMeta;
  headerIds: Int32Array;
  bodyIds: Int32Array;
  /** 1-based line of each body token. */
  lines: Int32Array;
  /** Block b is body tokens [offsets[b], offsets[b+1]). */
  offsets: Int32Array;
  /** Query-agnostic importance of each block (mean key-norm score), for the `once`-style fallback and the visualizer. */
  blockScores: Float32Array;
  /** blocks × summaryDim: per summary layer and KV head, the mean position-free key of the block. */
  summaries: Float32Array;
  /** Position each token (header, then body) had in its ingest window: what its stored keys are rotated for. */
  positions: Int32Array;
}

export class RecordCorruptError extends Error {
  /** The record that failed (set by the store, which knows its key). */
  recordKey?: string;
  constructor(message: string) {
    super(message);
    this.name = "RecordCorruptError";
  }
}

function align4(n: number) {
  return (n + 3) & ~3;
}

function sha(...parts: Uint8Array[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

function bytesOf(a: Int32Array | Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Encodes a record in one buffer; `kv` (rows × stride bytes) only when meta.kv is set. */
export function encodeRecord(record: FileRecord, kv?: Uint8Array): Buffer {
  const parts = encodeRecordParts(record, kv, kv ? sha(kv) : undefined);
  return Buffer.concat(parts);
}

/**
 * The sha256 of a large kv section, in slices with the event loop free in between (a record of a big file holds
 * tens of MiB of rows; hashing them in one go would stall whatever else this thread feeds, e.g. llama.cpp's batches).
 */
export async function digestKv(kv: Uint8Array): Promise<Buffer> {
  const h = createHash("sha256");
  const slice = 4 * 2 ** 20;
  for (let o = 0; o < kv.length; o += slice) {
    h.update(kv.subarray(o, Math.min(kv.length, o + slice)));
    if (o + slice < kv.length) await new Promise((r) => setImmediate(r));
  }
  return h.digest();
}

/**
 * Encodes a record as [head, meta and body] and, when it has one, [kv] — the kv rows are not copied; `kvDigest` is
 * their sha256 (digestKv). Written back to back, the parts are the record file.
 */
export function encodeRecordParts(record: FileRecord, kv?: Uint8Array, kvDigest?: Buffer): Uint8Array[] {
  const m = record.meta;
  const n = m.bodyTokens;
  const h = m.headerTokens;
  check(record.headerIds.length === h && record.bodyIds.length === n && record.lines.length === n, "token arrays do not match the meta");
  check(record.offsets.length === m.blocks + 1 && record.blockScores.length === m.blocks, "block arrays do not match the meta");
  check(
    record.summaries.length === m.blocks * m.summaryDim && record.positions.length === h + n,
    "summary or position arrays do not match the meta"
  );
  check((kv == null) === (m.kv == null) && (!kv || kv.length === (h + n) * m.kv!.stride), "the kv rows do not match the meta");
  const meta = Buffer.from(JSON.stringify(m), "utf8");
  const sections = [
    record.headerIds,
    record.bodyIds,
    record.lines,
    record.offsets,
    record.blockScores,
    record.summaries,
    record.positions,
  ].map(bytesOf);
  const bodyLength = sections.reduce((a, s) => a + s.length, 0);
  const bodyStart = align4(HEAD + meta.length);
  const out = Buffer.alloc(bodyStart + bodyLength);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(RECORD_VERSION, 4);
  out.writeUInt32LE(meta.length, 8);
  out.writeBigUInt64LE(BigInt(bodyLength), 16);
  out.writeBigUInt64LE(BigInt(kv?.length ?? 0), 24);
  meta.copy(out, HEAD);
  let o = bodyStart;
  for (const s of sections) {
    out.set(s, o);
    o += s.length;
  }
  sha(out.subarray(HEAD, HEAD + meta.length), out.subarray(bodyStart, bodyStart + bodyLength)).copy(out, 32);
  if (kv) {
    if (!kvDigest) throw new Error("encodeRecordParts: the kv rows need their digest");
    kvDigest.copy(out, 64);
    return [out, kv];
  }
  return [out];
}

export interface DecodedRecord extends FileRecord {
  /** Byte offset of the kv section in the record file (for positioned reads of a block's rows). */
  kvOffset: number;
  kvBytes: number;
}

/**
 * Decodes and verifies a record. `bytes` may stop at the end of the body (`verifyKv: false`, for reading the
 * tokens of a large record without its kv section); with `verifyKv` the kv checksum is checked too.
 */
export function decodeRecord(bytes: Uint8Array, options: {verifyKv?: boolean} = {}): DecodedRecord {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEAD || buf.readUInt32LE(0) !== MAGIC) throw new RecordCorruptError("not a block-store record (bad magic)");
  if (buf.readUInt32LE(4) !== RECORD_VERSION)
    throw new RecordCorruptError(`record version ${buf.readUInt32LE(4)}, expected ${RECORD_VERSION}`);
  const metaLength = buf.readUInt32LE(8);
  const bodyLength = Number(buf.readBigUInt64LE(16));
  const kvBytes = Number(buf.readBigUInt64LE(24));
  const bodyStart = align4(HEAD + metaLength);
  const kvOffset = bodyStart + bodyLength;
  if (buf.length < kvOffset) throw new RecordCorruptError("truncated record");
  const digest = sha(buf.subarray(HEAD, HEAD + metaLength), buf.subarray(bodyStart, kvOffset));
  if (!digest.equals(buf.subarray(32, 64))) throw new RecordCorruptError("record checksum mismatch");
  if (options.verifyKv) {
    if (buf.length !== kvOffset + kvBytes) throw new RecordCorruptError("truncated kv section");
    if (kvBytes > 0 && !sha(buf.subarray(kvOffset)).equals(buf.subarray(64, 96))) throw new RecordCorruptError("kv checksum mismatch");
  }
  const meta = JSON.parse(buf.subarray(HEAD, HEAD + metaLength).toString("utf8")) as FileRecordMeta;
  // Copy the body into an aligned buffer so typed views are valid whatever the input's alignment.
  const body = new Uint8Array(bodyLength);
  body.set(buf.subarray(bodyStart, kvOffset));
  let o = 0;
  const i32 = (count: number) => {
    const a = new Int32Array(body.buffer, o, count);
    o += 4 * count;
    return a;
  };
  const f32 = (count: number) => {
    const a = new Float32Array(body.buffer, o, count);
    o += 4 * count;
    return a;
  };
  const h = meta.headerTokens;
  const n = meta.bodyTokens;
  const b = meta.blocks;
  const rec: DecodedRecord = {
    meta,
    headerIds: i32(h),
    bodyIds: i32(n),
    lines: i32(n),
    offsets: i32(b + 1),
    blockScores: f32(b),
    summaries: f32(b * meta.summaryDim),
    positions: i32(h + n),
    kvOffset,
    kvBytes,
  };
  if (o !== bodyLength) throw new RecordCorruptError("record body length does not match its meta");
  return rec;
}

/** Bytes from the start of a record to the end of its body, read from its fixed head. */
export function recordBodyEnd(head: Uint8Array): number {
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (buf.length < HEAD || buf.readUInt32LE(0) !== MAGIC) throw new RecordCorruptError("not a block-store record (bad magic)");
  return align4(HEAD + buf.readUInt32LE(8)) + Number(buf.readBigUInt64LE(16));
}

export const RECORD_HEAD_BYTES = HEAD;

function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(`encodeRecord: ${message}`);
}
