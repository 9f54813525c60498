/**
 * The RoPE a model's cached keys carry, read from its GGUF metadata, when it is one this project can move between
 * positions (core/rope.ts): plain or linearly scaled RoPE of the "norm" or "neox" kind. Anything else — no RoPE, YaRN
 * or LongRoPE scaling, per-channel frequency factors, multi-axis RoPE — yields a reason instead, and the block store
 * then keeps no position-free summaries and places blocks by re-prefilling them.
 * The kind per architecture follows llama.cpp's `llama_model_rope_type` (src/llama-model.cpp).
 */
import type {LlamaModel} from "node-llama-cpp";
import type {RopeKind, RopeParams} from "../../core/rope";
import {ggufMetadataView, largest} from "../../core/ggufMetadata";

const NORM = [
  "llama",
  "mistral3",
  "granite",
  "granitemoe",
  "deci",
  "baichuan",
  "internlm2",
  "minicpm",
  "xverse",
  "command-r",
  "cohere2",
  "olmo",
  "arctic",
  "deepseek",
  "chatglm",
  "smollm3",
  "arcee",
  "ernie4_5",
  "exaone",
];
const NEOX = [
  "qwen",
  "qwen2",
  "qwen2moe",
  "qwen3",
  "qwen3moe",
  "phi2",
  "phi3",
  "phimoe",
  "gemma",
  "gemma2",
  "gemma3",
  "starcoder2",
  "stablelm",
  "falcon",
  "gptneox",
  "olmo2",
  "olmoe",
  "nemotron",
  "codeshell",
  "orion",
  "exaone4",
  "dbrx",
  "bitnet",
  "openelm",
  "plamo",
];

export type ModelRope = {ok: true; params: RopeParams} | {ok: false; reason: string};

export function modelRope(model: LlamaModel): ModelRope {
  const {architecture: arch, section: a} = ggufMetadataView(model.fileInfo.metadata);
  const kind: RopeKind | undefined = NORM.includes(arch) ? "norm" : NEOX.includes(arch) ? "neox" : undefined;
  if (!kind) return {ok: false, reason: `RoPE of the "${arch}" architecture is not supported for moving cached keys`};
  const rope = a.rope ?? {};
  const scaling = rope.scaling?.type;
  if (scaling && scaling !== "none" && scaling !== "linear")
    return {ok: false, reason: `RoPE scaling "${scaling}" is not a plain rotation`};
  if (Array.isArray(rope.dimension_sections)) return {ok: false, reason: "multi-axis RoPE (M-RoPE) cannot be moved along one axis"};
  if (model.fileInfo.tensorInfo?.some((t) => t.name === "rope_freqs.weight"))
    return {ok: false, reason: "per-channel RoPE frequency factors are not supported"};
  const nHead = largest(a.attention?.head_count);
  const headDim = Number(a.attention?.key_length ?? Number(a.embedding_length) / nHead);
  const nDims = Number(rope.dimension_count ?? headDim);
  const factor = Number(rope.scaling?.factor ?? 0);
  const params: RopeParams = {
    kind,
    headDim,
    nDims,
    freqBase: Number(rope.freq_base ?? 10000),
    freqScale: scaling === "linear" && factor > 0 ? 1 / factor : 1,
  };
  if (!(headDim > 0) || !(nDims > 0) || nDims % 2 !== 0 || nDims > headDim)
    return {ok: false, reason: `unexpected RoPE dimensions (${nDims} of ${headDim})`};
  return {ok: true, params};
}
