import {DynSplitInputError} from "./errors";

/**
 * Rotary position embedding (RoPE, https://arxiv.org/abs/2104.09864) as llama.cpp applies it to cached keys, so that a
 * key computed at one position can be moved to another: RoPE is a rotation by angle pos·θ_i per pair of channels,
 * rotations compose, so R(new) = R(new − old)·R(old). The block store uses it twice: to un-rotate keys to position 0
 * for position-free block summaries, and to re-rotate restored keys to the positions they take in a new context
 * (what llama.cpp's K-shift does after `seq_add`).
 *
 * θ_i = freqScale · freqBase^(−2i / nDims) for i < nDims/2; channels ≥ nDims are not rotated (partial RoPE).
 * - `norm` (llama, mistral…): channel pairs (2i, 2i+1);
 * - `neox` (qwen2, phi3, gemma, starcoder2…): pairs (i, i + nDims/2).
 * YaRN's magnitude scaling and per-channel frequency factors are not rotations and are not supported here.
 */
export type RopeKind = "norm" | "neox";

export interface RopeParams {
  kind: RopeKind;
  /** Channels per head. */
  headDim: number;
  /** Rotated channels per head (llama.cpp's n_rot); even, ≤ headDim. */
  nDims: number;
  freqBase: number;
  /** Linear position scaling (1 / rope.scaling.factor). Defaults to 1. */
  freqScale?: number;
}

export function checkRopeParams(p: RopeParams): void {
  if (!Number.isInteger(p.headDim) || p.headDim < 2) throw new DynSplitInputError(`RoPE headDim must be an integer ≥ 2, got ${p.headDim}`);
  if (!Number.isInteger(p.nDims) || p.nDims < 2 || p.nDims % 2 !== 0 || p.nDims > p.headDim)
    throw new DynSplitInputError(`RoPE nDims must be even and in [2, headDim], got ${p.nDims} (headDim ${p.headDim})`);
  if (!(p.freqBase > 0)) throw new DynSplitInputError(`RoPE freqBase must be positive, got ${p.freqBase}`);
}

/** θ_i for i < nDims/2. */
export function ropeThetas(p: RopeParams): Float64Array {
  checkRopeParams(p);
  const half = p.nDims / 2;
  const out = new Float64Array(half);
  const scale = p.freqScale ?? 1;
  for (let i = 0; i < half; i++) out[i] = scale * Math.pow(p.freqBase, (-2 * i) / p.nDims);
  return out;
}

/**
 * Rotates, in place, rows of `data` (row r = `heads` heads of `headDim` channels each, starting at r·rowElems) by
 * `delta[r]` positions. `thetas` from ropeThetas(p). A negative delta un-rotates.
 */
export function rotateRows(
  data: Float32Array,
  rowElems: number,
  heads: number,
  delta: ArrayLike<number>,
  p: RopeParams,
  thetas = ropeThetas(p)
): void {
  const half = p.nDims / 2;
  if (heads * p.headDim > rowElems)
    throw new DynSplitInputError(`rotateRows: ${heads} heads × ${p.headDim} channels exceed a row of ${rowElems}`);
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  const pairStride = p.kind === "norm" ? 2 : 1;
  const partner = p.kind === "norm" ? 1 : half;
  for (let r = 0; r < delta.length; r++) {
    const d = delta[r];
    if (d === 0) continue;
    for (let i = 0; i < half; i++) {
      const a = d * thetas[i];
      cos[i] = Math.cos(a);
      sin[i] = Math.sin(a);
    }
    const rowBase = r * rowElems;
    for (let h = 0; h < heads; h++) {
      const base = rowBase + h * p.headDim;
      for (let i = 0; i < half; i++) {
        const x = base + i * pairStride;
        const y = x + partner;
        const vx = data[x];
        const vy = data[y];
        data[x] = vx * cos[i] - vy * sin[i];
        data[y] = vx * sin[i] + vy * cos[i];
      }
    }
  }
}
