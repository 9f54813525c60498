import {buildResult} from "../result";
import type {CompressionInput, CompressionMethod, CompressionResult} from "../types";
import {validateInput} from "../validate";

/** The full cache: keeps every token whatever the budget; the reference every method is measured against. No paper: a control. */
export class FullMethod implements CompressionMethod {
  readonly name = "full" as const;
  readonly usesSignal = false;

  compress(input: CompressionInput): CompressionResult {
    const n = validateInput(input);
    return buildResult(this.name, input, new Uint8Array(n).fill(1), Int32Array.of(0, n));
  }
}
