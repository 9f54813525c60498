import {fixedChunks} from "../ddSelect";
import {buildResult} from "../result";
import {selectBlocks} from "../selection";
import type {BlockAggregate, CommonOptions, CompressionInput, CompressionMethod, CompressionResult} from "../types";
import {buildUniformLayout, scoreUniformLayout} from "../uniformLayout";
import {positiveInteger, requiredTokens, resolveBudget, validateInput} from "../validate";

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
    const n = validateInput(input);
    const keepCount = resolveBudget(input.budget, n);
    const required = requiredTokens(input, n, this.options, keepCount);
    const offsets = fixedChunks(n, this.chunkSize);
    const scores = input.signal?.tokenScores ?? new Float32Array(n);
    const blockScores = scoreUniformLayout(buildUniformLayout(offsets, scores, this.chunkSize, this.options.aggregate ?? "sum"));
    const keep = selectBlocks(offsets, blockScores, required, keepCount);
    return buildResult(this.name, input, keep, offsets, blockScores);
  }
}
