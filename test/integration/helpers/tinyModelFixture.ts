/** A tiny random-weight llama GGUF in a temp dir, plus a deterministic sample text for the signal tests. */
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import assert from "node:assert/strict";
import type {Llama, LlamaModel} from "node-llama-cpp";
import {loadLlama} from "../../../src/engine/signals/loadLlama";
import {writeTinyLlamaGguf, type TinyLlamaShape, type TinyLlamaWeights} from "./tinyLlamaGguf";

export interface TinyModelFixture {
  modelPath: string;
  weights: TinyLlamaWeights;
  dispose(): void;
}

export function createTinyModelFixture(shape: Partial<TinyLlamaShape> = {}): TinyModelFixture {
  const dir = mkdtempSync(join(tmpdir(), "dynsplit-signals-"));
  const modelPath = join(dir, "tiny-llama.gguf");
  const weights = writeTinyLlamaGguf(modelPath, shape);
  return {modelPath, weights, dispose: () => rmSync(dir, {recursive: true, force: true})};
}

/**
 * The tiny model loaded on the stock binary or the KV-hook build (throws "run `npm run build:kernels`" when the hook
 * build is missing), checked to be the binary asked for. `DYNSPLIT_TEST_GPU=auto` (scripts/device/gpu-check.sh) loads
 * a GPU build and offloads every layer; by default everything runs on the CPU.
 */
export async function openTinyModel(probe: boolean): Promise<{fixture: TinyModelFixture; llama: Llama; model: LlamaModel}> {
  const fixture = createTinyModelFixture();
  const gpu = process.env.DYNSPLIT_TEST_GPU === "auto" ? "auto" : false;
  const loaded = await loadLlama({probe, gpu});
  assert.equal(loaded.binary, probe ? "probe-local-build" : "stock-prebuilt");
  if (gpu) console.log(`backend: ${loaded.llama.gpu || "cpu"} (hook build: ${loaded.hookGpu || "cpu"})`);
  const model = await loaded.llama.loadModel({modelPath: fixture.modelPath, gpuLayers: gpu ? "max" : 0});
  return {fixture, llama: loaded.llama, model};
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
