import {buildResult, runOffsets} from "../result";
import {selectTokens} from "../selection";
import type {CommonOptions, CompressionInput, CompressionMethod, CompressionResult} from "../types";
import {positiveInteger} from "../validate";
import {prepareSelection} from "./blockMethod";

export interface SnapKvOptions extends CommonOptions {
  /** 1-D pooling kernel over token scores. Default 7 (SnapKV's LongBench configs; kvpress uses 5). */
  kernelSize?: number;
  /** Pooling kind. Default "max". */
  pooling?: "max" | "avg";
}

/**
 * SnapKV-like token-level top-k: pooled observation-window scores, the best tokens kept one by one.
 * Paper: SnapKV, https://arxiv.org/abs/2404.14469.
 */
export class SnapKvMethod implements CompressionMethod {
  readonly name = "snapkv" as const;
  readonly usesSignal = true;
  private readonly kernelSize: number;

  constructor(private readonly options: SnapKvOptions = {}) {
    this.kernelSize = positiveInteger("kernelSize", options.kernelSize, 7);
  }

  compress(input: CompressionInput): CompressionResult {
    const {n, keepCount, required} = prepareSelection(input, this.options);
    const scores = pool1d(input.signal?.tokenScores ?? new Float32Array(n), this.kernelSize, this.options.pooling ?? "max");
    const keep = selectTokens(scores, required, keepCount);
    return buildResult(this.name, input, keep, runOffsets(keep));
  }
}

/** Same-length 1-D pooling with a centred window (edges use the part of the window inside the input). */
export function pool1d(x: Float32Array, kernel: number, mode: "max" | "avg"): Float32Array {
  const n = x.length;
  const half = Math.floor(kernel / 2);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const lo = Math.max(0, i - half);
    const hi = Math.min(n - 1, i + half);
    let acc = mode === "max" ? -Infinity : 0;
    for (let k = lo; k <= hi; k++) acc = mode === "max" ? Math.max(acc, x[k]) : acc + x[k];
    out[i] = mode === "max" ? acc : acc / (hi - lo + 1);
  }
  return out;
}
