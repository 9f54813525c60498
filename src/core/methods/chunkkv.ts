import {fixedChunks} from "../ddSelect";
import type {BlockAggregate, CommonOptions, CompressionInput, CompressionMethod, CompressionResult} from "../types";
import {buildUniformLayout, scoreUniformLayout} from "../uniformLayout";
import {positiveInteger} from "../validate";
import {compressByBlocks} from "./blockMethod";

export interface ChunkKvOptions extends CommonOptions {
  /** Fixed chunk length. Default 10 (the ChunkKV paper's; kvpress's ChunkKVPress uses 20). */
  chunkSize?: number;
  /** Chunk score. Default "sum", as the paper sums token scores over the chunk. */
  aggregate?: BlockAggregate;
}

/**
 * ChunkKV: fixed-size chunks at a rigid interval, the highest-scoring chunks kept within the budget.
 * Paper: ChunkKV (NeurIPS 2025), https://arxiv.org/abs/2502.00299; kvpress's ChunkKVPress is its code.
 */
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
      return {
        offsets,
        blockScores: scoreUniformLayout(buildUniformLayout(offsets, scores, this.chunkSize, this.options.aggregate ?? "sum")),
      };
    });
  }
}
