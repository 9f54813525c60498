/**
 * The uniform mapping of the block store: every block, whatever its length, becomes one fixed-size row — per summary
 * layer and KV head, the per-channel range of its keys with RoPE taken off (rotated back to position 0), so that a
 * block's summary does not depend on where in its ingest window it happened to sit. Keys are un-rotated on the fly from a table of
 * cos/sin per position; nothing is allocated per block.
 */
import {ropeThetas, type RopeParams} from "../../core/rope";
import type {ParsedSeqState} from "../signals/kvStateParser";

export interface RopeTrigTable {
  half: number;
  /** cos(p·θ_i), sin(p·θ_i) at [p · half + i]. */
  cos: Float32Array;
  sin: Float32Array;
}

export function ropeTrigTable(rope: RopeParams, positions: number): RopeTrigTable {
  const thetas = ropeThetas(rope);
  const half = rope.nDims / 2;
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++)
    for (let i = 0; i < half; i++) {
      cos[p * half + i] = Math.cos(p * thetas[i]);
      sin[p * half + i] = Math.sin(p * thetas[i]);
    }
  return {half, cos, sin};
}

/** What one block's summary row holds, each part `layers × nHeadKv × headDim` floats: the per-channel minimum, then
 *  maximum of its position-free keys — Quest's bounding box (https://arxiv.org/abs/2406.10774). A mean key was
 *  measured too and dropped: on the bundled model it ranks the asked block no better than chance (the one matching
 *  token is averaged away), where the box's bound puts it in the top 1 %. */
export const SUMMARY_PARTS = 2;

/**
 * Summaries of the blocks [offsets[b], offsets[b+1]) of rows starting at `firstRow` of `state` (rows = positions):
 * nBlocks × SUMMARY_PARTS × (layers × nHeadKv × headDim) floats (min part, max part); within a part, segment
 * (layer, head) after segment.
 */
export function blockKeySummaries(
  state: ParsedSeqState,
  firstRow: number,
  offsets: Int32Array,
  o: {rope: RopeParams; nHeadKv: number; headDim: number; layers: readonly number[]; trig: RopeTrigTable}
): Float32Array {
  const {rope, nHeadKv: heads, headDim: hd, trig} = o;
  const half = trig.half;
  const pairStride = rope.kind === "norm" ? 2 : 1;
  const partner = rope.kind === "norm" ? 1 : half;
  const part = o.layers.length * heads * hd;
  const dim = SUMMARY_PARTS * part;
  const nBlocks = offsets.length - 1;
  const out = new Float32Array(nBlocks * dim);
  const lo = new Float64Array(hd);
  const hi = new Float64Array(hd);
  let seg = 0;
  for (const l of o.layers) {
    const layer = state.layers.find((x) => x.layer === l);
    if (!layer || layer.K.length === 0) throw new Error(`blockKeySummaries: layer ${l} was not decoded`);
    const row = layer.kRowElems;
    const K = layer.K;
    for (let h = 0; h < heads; h++, seg++) {
      for (let b = 0; b < nBlocks; b++) {
        lo.fill(Infinity);
        hi.fill(-Infinity);
        const t0 = firstRow + offsets[b];
        const t1 = firstRow + offsets[b + 1];
        for (let t = t0; t < t1; t++) {
          const base = t * row + h * hd;
          const p = state.positions[t] * half;
          // rotate by −pos: x' = x·cos + y·sin, y' = −x·sin + y·cos
          for (let i = 0; i < half; i++) {
            const x = base + i * pairStride;
            const vx = K[x];
            const vy = K[x + partner];
            const c = trig.cos[p + i];
            const s = trig.sin[p + i];
            const ux = vx * c + vy * s;
            const uy = vy * c - vx * s;
            const a = i * pairStride;
            const z = a + partner;
            if (ux < lo[a]) lo[a] = ux;
            if (ux > hi[a]) hi[a] = ux;
            if (uy < lo[z]) lo[z] = uy;
            if (uy > hi[z]) hi[z] = uy;
          }
          for (let d = rope.nDims; d < hd; d++) {
            const v = K[base + d];
            if (v < lo[d]) lo[d] = v;
            if (v > hi[d]) hi[d] = v;
          }
        }
        const at = b * dim + seg * hd;
        for (let d = 0; d < hd; d++) {
          out[at + d] = lo[d];
          out[at + part + d] = hi[d];
        }
      }
    }
  }
  return out;
}
