/**
 * The `restore` placement: builds the live context from stored K/V rows instead of recomputing them. Every token of
 * the layout takes position = its index; its key, stored rotated for the position it had in its ingest window, is
 * re-rotated by the difference (core/rope.ts, what llama.cpp's K-shift does after `seq_add`); values carry no
 * position. The rows are written as a sequence state file and loaded with `loadStateFromFile`.
 */
import {float32ToFloat16Bits} from "../gguf/float16";
import {rotateRows, ropeThetas, type RopeParams} from "../../core/rope";
import {f16Table} from "../signals/kvStateParser";
import type {KvRowLayout} from "../store/fileRecord";
import {encodeSeqState, type KvFileLayout} from "../store/seqStateWriter";

/** A run of consecutive tokens of one record: its kv rows, and the window position of each. */
export interface KvRun {
  rows: Uint8Array;
  storedPositions: ArrayLike<number>;
}

const TYPE_F32 = 0;
const TYPE_F16 = 1;
const TYPE_BF16 = 30;

/** Why the restore placement cannot run for this cache, or undefined when it can. */
export function restoreUnsupportedReason(layout: KvRowLayout | undefined, rope: RopeParams | undefined): string | undefined {
  if (!layout) return "the model's KV state cannot be read (not a plain KV cache)";
  if (!rope) return "the model's RoPE cannot be moved between positions";
  const bad = layout.layers.find((l) => ![TYPE_F32, TYPE_F16, TYPE_BF16].includes(l.kType));
  if (bad) return `keys of ggml type ${bad.kType} (quantized) cannot be re-rotated exactly`;
  return undefined;
}

/** The state file bytes for `runs` laid out in order from position 0. */
export function buildRestoredState(
  tokens: ArrayLike<number>,
  runs: readonly KvRun[],
  rowLayout: KvRowLayout,
  fileLayout: KvFileLayout,
  rope: RopeParams,
  nHeadKv: number
): Uint8Array {
  const n = tokens.length;
  const nLayer = rowLayout.layers.length;
  const k = rowLayout.layers.map((l) => new Uint8Array(n * l.kRowBytes));
  const v = rowLayout.layers.map((l) => new Uint8Array(n * l.vRowBytes));
  const thetas = ropeThetas(rope);
  let at = 0;
  for (const run of runs) {
    const len = run.storedPositions.length;
    const delta = new Float64Array(len);
    for (let t = 0; t < len; t++) delta[t] = at + t - run.storedPositions[t];
    for (let t = 0; t < len; t++) {
      let o = t * rowLayout.stride;
      for (let l = 0; l < nLayer; l++) {
        const kb = rowLayout.layers[l].kRowBytes;
        k[l].set(run.rows.subarray(o, o + kb), (at + t) * kb);
        o += kb;
      }
      for (let l = 0; l < nLayer; l++) {
        const vb = rowLayout.layers[l].vRowBytes;
        v[l].set(run.rows.subarray(o, o + vb), (at + t) * vb);
        o += vb;
      }
    }
    for (let l = 0; l < nLayer; l++)
      rotateKeyRows(k[l], at, len, rowLayout.layers[l].kType, rowLayout.layers[l].kRowBytes, nHeadKv, delta, rope, thetas);
    at += len;
  }
  if (at !== n) throw new Error(`internal: ${at} kv rows for ${n} tokens`);
  return encodeSeqState(fileLayout, {tokens, k, v});
}

/** Decodes rows [at, at + len) of one layer's K, rotates each by its delta, and encodes them back in place. */
function rotateKeyRows(
  bytes: Uint8Array,
  at: number,
  len: number,
  type: number,
  rowBytes: number,
  nHeadKv: number,
  delta: Float64Array,
  rope: RopeParams,
  thetas: Float64Array
) {
  if (delta.every((d) => d === 0)) return;
  const elemBytes = type === TYPE_F32 ? 4 : 2;
  const rowElems = rowBytes / elemBytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset + at * rowBytes, len * rowBytes);
  const rows = new Float32Array(len * rowElems);
  for (let i = 0; i < rows.length; i++) {
    if (type === TYPE_F32) rows[i] = view.getFloat32(4 * i, true);
    else if (type === TYPE_F16) rows[i] = f16Table[view.getUint16(2 * i, true)];
    else rows[i] = bf16ToF32(view.getUint16(2 * i, true));
  }
  rotateRows(rows, rowElems, nHeadKv, delta, rope, thetas);
  for (let i = 0; i < rows.length; i++) {
    if (type === TYPE_F32) view.setFloat32(4 * i, rows[i], true);
    else if (type === TYPE_F16) view.setUint16(2 * i, float32ToFloat16Bits(rows[i]), true);
    else view.setUint16(2 * i, f32ToBf16(rows[i]), true);
  }
}

const scratch = new DataView(new ArrayBuffer(4));
function bf16ToF32(bits: number): number {
  scratch.setUint32(0, bits << 16, true);
  return scratch.getFloat32(0, true);
}
function f32ToBf16(value: number): number {
  scratch.setFloat32(0, value, true);
  const x = scratch.getUint32(0, true);
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff; // round to nearest even
}
