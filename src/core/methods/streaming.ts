import {buildResult, runOffsets} from "../result";
import {countOnes} from "../selection";
import type {CommonOptions, CompressionInput, CompressionMethod, CompressionResult} from "../types";
import {prepareSelection} from "./blockMethod";

/**
 * StreamingLLM: the attention sinks plus the most recent tokens, as many as the budget allows. No scores.
 * Paper: Efficient Streaming Language Models with Attention Sinks, https://arxiv.org/abs/2309.17453.
 */
export class StreamingMethod implements CompressionMethod {
  readonly name = "streaming" as const;
  readonly usesSignal = false;

  constructor(private readonly options: CommonOptions = {}) {}

  compress(input: CompressionInput): CompressionResult {
    const {n, keepCount, required: keep} = prepareSelection(input, this.options);
    let remaining = keepCount - countOnes(keep);
    for (let t = n - 1; t >= 0 && remaining > 0; t--)
      if (!keep[t]) {
        keep[t] = 1;
        remaining--;
      }
    return buildResult(this.name, input, keep, runOffsets(keep));
  }
}
