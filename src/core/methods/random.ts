import {fixedChunks} from "../ddSelect";
import {createPrng} from "../prng";
import type {CommonOptions, CompressionInput, CompressionMethod, CompressionResult} from "../types";
import {positiveInteger} from "../validate";
import {compressByBlocks} from "./blockMethod";

export interface RandomOptions extends CommonOptions {
  /** PRNG seed. Default 0x5eed. */
  seed?: number;
  /** Chunk length. Default 10, as ChunkKV's. */
  chunkSize?: number;
}

/** The sanity floor: random fixed-size chunks (seeded, so reproducible) within the same budget. No paper: a control. */
export class RandomMethod implements CompressionMethod {
  readonly name = "random" as const;
  readonly usesSignal = false;
  private readonly chunkSize: number;

  constructor(private readonly options: RandomOptions = {}) {
    this.chunkSize = positiveInteger("chunkSize", options.chunkSize, 10);
  }

  compress(input: CompressionInput): CompressionResult {
    return compressByBlocks(this.name, input, this.options, (n) => {
      const offsets = fixedChunks(n, this.chunkSize);
      const next = createPrng(this.options.seed ?? 0x5eed);
      const blockScores = new Float32Array(offsets.length - 1);
      for (let b = 0; b < blockScores.length; b++) blockScores[b] = next();
      return {offsets, blockScores};
    });
  }
}
