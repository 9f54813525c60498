import {buildResult} from "../result";
import {selectBlocks} from "../selection";
import type {CommonOptions, CompressionInput, CompressionResult} from "../types";
import {requiredTokens, resolveBudget, validateInput} from "../validate";

/** What every method does first: check the input, resolve the budget, and find the tokens that must stay. */
export function prepareSelection(input: CompressionInput, options: CommonOptions): {n: number; keepCount: number; required: Uint8Array} {
  const n = validateInput(input);
  const keepCount = resolveBudget(input.budget, n);
  return {n, keepCount, required: requiredTokens(input, n, options, keepCount)};
}

/**
 * The shared tail of the block methods (dynsplit, chunkkv, delimiter, random): each supplies its segmentation and
 * block scores; the best blocks are kept within the budget.
 */
export function compressByBlocks(
  name: string,
  input: CompressionInput,
  options: CommonOptions,
  segment: (n: number) => {offsets: Int32Array; blockScores: Float32Array}
): CompressionResult {
  const {n, keepCount, required} = prepareSelection(input, options);
  const {offsets, blockScores} = segment(n);
  return buildResult(name, input, selectBlocks(offsets, blockScores, required, keepCount), offsets, blockScores);
}
