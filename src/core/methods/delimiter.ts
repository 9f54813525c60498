import {checkSegmentation} from "../ddSelect";
import {holdsAny} from "../delimiters";
import type {BlockAggregate, CommonOptions, CompressionInput, CompressionMethod, CompressionResult} from "../types";
import {buildUniformLayout, scoreUniformLayout} from "../uniformLayout";
import {compressByBlocks} from "./blockMethod";

export interface DelimiterOptions extends CommonOptions {
  /** The fixed delimiter set (SepLLM's by default). */
  delimiters?: readonly string[];
  /** Block size C, as DynSplit's. Default 16. */
  blockSize?: number;
  /** Tolerance Δ. Default min(8, C/2). */
  tolerance?: number;
  /** Block score from token scores. Default "mean". */
  aggregate?: BlockAggregate;
}

export const SEPLLM_DELIMITERS = ["\n", ".", ",", "?", "!", ";", ":"] as const;

/**
 * Rigid delimiter split (SepLLM/SentenceKV-style): a block ends at the FIRST token from a fixed delimiter set
 * once it is C−Δ tokens long (at C+Δ if none comes). Same lengths and scoring as DynSplit, but the boundary is
 * chosen by a fixed list instead of by importance: the DD-Select ablation.
 * Paper: SepLLM, https://arxiv.org/abs/2412.12094 (the delimiter set).
 */
export class DelimiterMethod implements CompressionMethod {
  readonly name = "delimiter" as const;
  readonly usesSignal = true;
  private readonly chars: ReadonlySet<string>;
  private readonly blockSize: number;
  private readonly tolerance: number;

  constructor(private readonly options: DelimiterOptions = {}) {
    this.chars = new Set((options.delimiters ?? SEPLLM_DELIMITERS).join(""));
    this.blockSize = options.blockSize ?? 16;
    this.tolerance = options.tolerance ?? Math.min(8, Math.floor(this.blockSize / 2));
    checkSegmentation({blockSize: this.blockSize, tolerance: this.tolerance});
  }

  compress(input: CompressionInput): CompressionResult {
    return compressByBlocks(this.name, input, this.options, (n) => {
      const offsets = this.split(input.tokenTexts, input.forcedStarts);
      const scores = input.signal?.tokenScores ?? new Float32Array(n);
      const slot = this.blockSize + this.tolerance;
      return {offsets, blockScores: scoreUniformLayout(buildUniformLayout(offsets, scores, slot, this.options.aggregate ?? "mean"))};
    });
  }

  private split(texts: readonly string[], forcedStarts?: readonly number[]): Int32Array {
    const n = texts.length;
    const forced = new Uint8Array(n + 1);
    for (const s of forcedStarts ?? []) forced[s] = 1;
    const min = this.blockSize - this.tolerance;
    const max = this.blockSize + this.tolerance;
    const offsets = [0];
    let start = 0;
    for (let i = 0; i < n; i++) {
      const len = i + 1 - start;
      if (forced[i + 1] || len >= max || (len >= min && holdsAny(texts[i], this.chars))) {
        offsets.push(i + 1);
        start = i + 1;
      }
    }
    if (start < n) offsets.push(n);
    return Int32Array.from(offsets);
  }
}
