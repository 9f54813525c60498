import {fixedChunks} from "../ddSelect";
import type {BlockAggregate, CommonOptions, CompressionInput, CompressionMethod, CompressionResult} from "../types";
import {buildUniformLayout, scoreUniformLayout} from "../uniformLayout";
import {positiveInteger} from "../validate";
import {compressByBlocks} from "./blockMethod";

export interface ChunkKvOptions extends CommonOptions {
  /** Fixed chunk length; the ChunkKV paper uses 10 everywhere. */
  chunkSize?: number;
  /** The paper sums token scores over the chunk. */
  aggregate?: BlockAggregate;
}

/** ChunkKV: fixed-size chunks at a rigid interval, the highest-scoring chunks kept within the budget. */
export class ChunkKvMethod implements CompressionMethod {
  readonly name = "chunkkv" as const;
  readonly usesSignal = true;
  private readonly chunkSize: number;

  constructor(private readonly options: ChunkKvOptions = {}) {
    this.chunkSize = positiveInteger("chunkSize", options.chunkSize, 10);
  }

  compress(input: CompressionInput): CompressionResult {
    return compressByBlocks(this.name, input, this.options, (n) => {
      const offsets = fixedChunks(n, this.chunkSize);
      const scores = input.signal?.tokenScores ?? new Float32Array(n);
      return {offsets, blockScores: scoreUniformLayout(buildUniformLayout(offsets, scores, this.chunkSize, this.options.aggregate ?? "sum"))};
    });
  }
}
