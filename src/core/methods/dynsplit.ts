import {boundaryScores, ddSelectInput} from "../boundaryScores";
import {checkSegmentation, ddSelect} from "../ddSelect";
import {delimiterStrengths} from "../delimiters";
import {raggedBlocks, scoreRaggedBlocks} from "../raggedScoring";
import type {BlockAggregate, CommonOptions, CompressionInput, CompressionMethod, CompressionResult, ImportanceSignal} from "../types";
import {buildUniformLayout, scoreUniformLayout} from "../uniformLayout";
import {finiteNumber, positiveInteger} from "../validate";
import {compressByBlocks} from "./blockMethod";

export interface DynSplitOptions extends CommonOptions {
  /** Base block size C (tokens). Default 16. */
  blockSize?: number;
  /** Tolerance Δ: blocks are C±Δ tokens long. Default 8. */
  tolerance?: number;
  /** Penalty α on distant attention mass (or on importance cut through, for per-token signals). Default 1. */
  alpha?: number;
  /** Tokens on each side of a candidate the boundary score looks at. Default 8. */
  boundaryWindow?: number;
  /** Weight of the structural delimiter strength in the boundary weight. Default 0.25. */
  structureWeight?: number;
  /** Block score from token scores; "mean" by default because blocks differ in length. */
  aggregate?: BlockAggregate;
  /** Score blocks through the uniform layout (default) or one ragged list per block: the ablation of uniform
   *  mapping, which gives the same scores (so the same selection) at a different cost. */
  uniformMapping?: boolean;
}

export const DYNSPLIT_DEFAULTS = {
  blockSize: 16,
  tolerance: 8,
  alpha: 1,
  boundaryWindow: 8,
  structureWeight: 0.25,
  aggregate: "mean",
  uniformMapping: true,
} as const;

/**
 * DynSplit-KV: variable-length semantic blocks whose boundaries DD-Select picks among candidate delimiters by
 * importance, scored through the uniform layout (slots of C+Δ), selected whole within the budget.
 * Paper: DynSplit-KV, https://arxiv.org/abs/2602.03184 (digest in docs/methods.md).
 */
export class DynSplitMethod implements CompressionMethod {
  readonly name = "dynsplit" as const;
  readonly usesSignal = true;
  readonly blockSize: number;
  readonly tolerance: number;
  readonly alpha: number;
  readonly boundaryWindow: number;
  readonly structureWeight: number;
  readonly uniformMapping: boolean;
  private readonly aggregate: BlockAggregate;

  constructor(private readonly options: DynSplitOptions = {}) {
    this.blockSize = positiveInteger("blockSize", options.blockSize, DYNSPLIT_DEFAULTS.blockSize);
    this.tolerance = options.tolerance ?? Math.min(DYNSPLIT_DEFAULTS.tolerance, Math.floor(this.blockSize / 2));
    checkSegmentation({blockSize: this.blockSize, tolerance: this.tolerance});
    this.alpha = finiteNumber("alpha", options.alpha, DYNSPLIT_DEFAULTS.alpha);
    this.boundaryWindow = positiveInteger("boundaryWindow", options.boundaryWindow, DYNSPLIT_DEFAULTS.boundaryWindow);
    this.structureWeight = finiteNumber("structureWeight", options.structureWeight, DYNSPLIT_DEFAULTS.structureWeight);
    this.aggregate = options.aggregate ?? DYNSPLIT_DEFAULTS.aggregate;
    this.uniformMapping = options.uniformMapping ?? DYNSPLIT_DEFAULTS.uniformMapping;
  }

  compress(input: CompressionInput): CompressionResult {
    return {...compressByBlocks(this.name, input, this.options, (n) => this.segment(input, n)), ddSelect: ddSelectInput(input.signal)};
  }

  /** DD-Select boundaries and block scores through the uniform layout (or, ablated, block by block). */
  private segment(input: CompressionInput, n: number): {offsets: Int32Array; blockScores: Float32Array} {
    const offsets = dynsplitOffsets(input.tokenTexts, input.signal, input.forcedStarts, this);
    const tokenScores = input.signal?.tokenScores ?? new Float32Array(n);
    if (!this.uniformMapping) return {offsets, blockScores: scoreRaggedBlocks(raggedBlocks(offsets), tokenScores, this.aggregate)};
    const layout = buildUniformLayout(offsets, tokenScores, this.blockSize + this.tolerance, this.aggregate);
    return {offsets, blockScores: scoreUniformLayout(layout)};
  }
}

/**
 * DynSplit's segmentation alone: candidate delimiters, boundary weights from the signal, DD-Select. Used by the
 * compression method above and by the block store, which segments every file once, without a budget.
 */
export function dynsplitOffsets(
  tokenTexts: readonly string[],
  signal: ImportanceSignal | undefined,
  forcedStarts: readonly number[] | undefined,
  options: {blockSize: number; tolerance: number; alpha: number; boundaryWindow: number; structureWeight: number}
): Int32Array {
  const strengths = delimiterStrengths(tokenTexts);
  const weights = boundaryScores(strengths, signal, {
    alpha: options.alpha,
    window: options.boundaryWindow,
    structureWeight: options.structureWeight,
  });
  return ddSelect(strengths, weights, {blockSize: options.blockSize, tolerance: options.tolerance, forcedStarts});
}
