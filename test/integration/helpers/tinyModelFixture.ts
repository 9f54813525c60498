/** A tiny random-weight llama GGUF in a temp dir, plus a deterministic sample text for the signal tests. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTinyLlamaGguf, type TinyLlamaShape, type TinyLlamaWeights } from "./tinyLlamaGguf";

export interface TinyModelFixture {
  modelPath: string;
  weights: TinyLlamaWeights;
  dispose(): void;
}

export function createTinyModelFixture(shape: Partial<TinyLlamaShape> = {}): TinyModelFixture {
  const dir = mkdtempSync(join(tmpdir(), "dynsplit-signals-"));
  const modelPath = join(dir, "tiny-llama.gguf");
  const weights = writeTinyLlamaGguf(modelPath, shape);
  return { modelPath, weights, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Code-and-prose text with repetition, so attention and surprisal have structure. */
export function sampleText(chars: number): string {
  const parts = [
    "function add(a, b) {\n  return a + b;\n}\n",
    "The cache keeps the blocks that matter. ",
    "const total = items.reduce((s, x) => s + x.price, 0);\n",
    "Question: which function adds two numbers? ",
  ];
  let text = "";
  for (let i = 0; text.length < chars; i++) text += parts[(i * 7 + (i >> 2)) % parts.length];
  return text.slice(0, chars);
}
