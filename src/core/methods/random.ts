import {fixedChunks} from "../ddSelect";
import {createPrng} from "../prng";
import {buildResult} from "../result";
import {selectBlocks} from "../selection";
import type {CommonOptions, CompressionInput, CompressionMethod, CompressionResult} from "../types";
import {positiveInteger, requiredTokens, resolveBudget, validateInput} from "../validate";

export interface RandomOptions extends CommonOptions {
  seed?: number;
  chunkSize?: number;
}

/** The sanity floor: random fixed-size chunks (seeded, so reproducible) within the same budget. */
export class RandomMethod implements CompressionMethod {
  readonly name = "random" as const;
  readonly usesSignal = false;
  private readonly chunkSize: number;

  constructor(private readonly options: RandomOptions = {}) {
    this.chunkSize = positiveInteger("chunkSize", options.chunkSize, 10);
  }

  compress(input: CompressionInput): CompressionResult {
    const n = validateInput(input);
    const keepCount = resolveBudget(input.budget, n);
    const required = requiredTokens(input, n, this.options, keepCount);
    const offsets = fixedChunks(n, this.chunkSize);
    const next = createPrng(this.options.seed ?? 0x5eed);
    const scores = new Float32Array(offsets.length - 1);
    for (let b = 0; b < scores.length; b++) scores[b] = next();
    const keep = selectBlocks(offsets, scores, required, keepCount);
    return buildResult(this.name, input, keep, offsets, scores);
  }
}
