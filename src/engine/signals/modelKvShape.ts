/** KV geometry of a loaded model, read from its GGUF metadata (needed to split K rows into heads). */
import type {LlamaModel} from "node-llama-cpp";
import {ggufMetadataView} from "../../core/ggufMetadata";

export interface ModelKvShape {
  nLayer: number;
  nHead: number;
  nHeadKv: number;
}

function firstNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (Array.isArray(value) && typeof value[0] === "number") return value[0]; // per-layer arrays: uniform models only
  return undefined;
}

export function modelKvShape(model: LlamaModel): ModelKvShape {
  const {architecture, section} = ggufMetadataView(model.fileInfo.metadata);
  const nLayer = firstNumber(section?.block_count);
  const nHead = firstNumber(section?.attention?.head_count);
  const nHeadKv = firstNumber(section?.attention?.head_count_kv) ?? nHead;
  if (nLayer == null || nHead == null || nHeadKv == null)
    throw new Error(`modelKvShape: missing block_count/head_count in the ${architecture} metadata`);
  return {nLayer, nHead, nHeadKv};
}
