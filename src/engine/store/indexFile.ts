/**
 * The repository's block table and summary matrix as one file (`index.bin`): every block of every file in
 * repository order, and one dense row of key summaries per block — the uniform mapping that lets a question score all
 * blocks at once. Built from the file records at the end of an ingest; a reopened workspace reads only this file, the
 * manifest and the lexical index, never the records, until a question selects blocks.
 *
 * Layout: u32 magic 'DSI1' · u32 version · u32 blocks · u32 segments · u32 segmentDim · u32 reserved ·
 *         sha256(fingerprint ‖ payload) [32] · u32 fingerprint bytes · fingerprint (utf-8, padded to 4) · payload
 * payload: fileOf i32[b] · start i32[b] · end i32[b] · startLine i32[b] · endLine i32[b] · score f32[b] ·
 *          summaries f32[b × segments × segmentDim] (mean keys, position-free)
 */
import {createHash} from "node:crypto";
import {RecordCorruptError} from "./fileRecord";

const MAGIC = 0x31495344; // 'DSI1'
const VERSION = 1;
const HEAD = 56;

export interface BlockTable {
  /** Index into the manifest's file list. */
  fileOf: Int32Array;
  /** Body-token range of the block in its file's record. */
  start: Int32Array;
  end: Int32Array;
  startLine: Int32Array;
  endLine: Int32Array;
  /** Query-agnostic block score (mean key-norm score). */
  score: Float32Array;
  segments: number;
  segmentDim: number;
  /** blocks × segments × segmentDim: per (layer, KV head) the block's mean position-free key. */
  summaries: Float32Array;
}

export function blockCount(t: BlockTable): number {
  return t.fileOf.length;
}

export function encodeIndex(table: BlockTable, fingerprint: string): Buffer {
  const b = blockCount(table);
  const fp = Buffer.from(fingerprint, "utf8");
  const fpPadded = (fp.length + 3) & ~3;
  const parts = [table.fileOf, table.start, table.end, table.startLine, table.endLine, table.score, table.summaries];
  const payloadBytes = parts.reduce((a, p) => a + p.byteLength, 0);
  const out = Buffer.alloc(HEAD + 4 + fpPadded + payloadBytes);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(VERSION, 4);
  out.writeUInt32LE(b, 8);
  out.writeUInt32LE(table.segments, 12);
  out.writeUInt32LE(table.segmentDim, 16);
  out.writeUInt32LE(fp.length, HEAD);
  fp.copy(out, HEAD + 4);
  let o = HEAD + 4 + fpPadded;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), o);
    o += p.byteLength;
  }
  createHash("sha256").update(out.subarray(HEAD)).digest().copy(out, 24);
  return out;
}

/** Decodes and verifies; throws RecordCorruptError when the file is damaged or belongs to another manifest. */
export function decodeIndex(bytes: Uint8Array, expectedFingerprint: string): BlockTable {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEAD + 4 || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION)
    throw new RecordCorruptError("not a block-store index");
  if (!createHash("sha256").update(buf.subarray(HEAD)).digest().equals(buf.subarray(24, 56)))
    throw new RecordCorruptError("index checksum mismatch");
  const fpLength = buf.readUInt32LE(HEAD);
  const fingerprint = buf.subarray(HEAD + 4, HEAD + 4 + fpLength).toString("utf8");
  if (fingerprint !== expectedFingerprint) throw new RecordCorruptError("the index belongs to another version of the manifest");
  const b = buf.readUInt32LE(8);
  const segments = buf.readUInt32LE(12);
  const segmentDim = buf.readUInt32LE(16);
  const payload = new Uint8Array(buf.length - HEAD - 4 - ((fpLength + 3) & ~3));
  payload.set(buf.subarray(HEAD + 4 + ((fpLength + 3) & ~3)));
  let o = 0;
  const i32 = (n: number) => ((o += 4 * n), new Int32Array(payload.buffer, o - 4 * n, n));
  const f32 = (n: number) => ((o += 4 * n), new Float32Array(payload.buffer, o - 4 * n, n));
  if (payload.length !== 4 * b * 6 + 4 * b * segments * segmentDim)
    throw new RecordCorruptError("index payload length does not match its header");
  return {
    fileOf: i32(b),
    start: i32(b),
    end: i32(b),
    startLine: i32(b),
    endLine: i32(b),
    score: f32(b),
    segments,
    segmentDim,
    summaries: f32(b * segments * segmentDim),
  };
}
