/**
 * The facts of a loaded model that decide its capability (core/modelCapability.ts), read from node-llama-cpp's
 * insights (memory kind, SWA size, encoder) and from the GGUF's metadata and tensor names (RoPE sections, QK-norm,
 * MLA). The multi-axis RoPE architectures follow llama.cpp's `llama_model_rope_type` (MROPE and IMROPE).
 */
import type {LlamaModel} from "node-llama-cpp";
import type {ModelTraits} from "../../core/modelCapability";
import {ggufMetadataView} from "../../core/ggufMetadata";

const MULTI_AXIS_ROPE = new Set(["qwen2vl", "qwen3vl", "qwen3vlmoe", "qwen35", "qwen35moe", "paddleocr"]);

export function modelTraits(model: LlamaModel): ModelTraits {
  const {architecture: arch, section: a} = ggufMetadataView(model.fileInfo.metadata);
  const insights = model.fileInsights;
  const tensorNames = new Set((model.fileInfo.tensorInfo ?? []).map((t) => t.name));
  const sections = a.rope?.dimension_sections;
  return {
    architecture: arch,
    recurrent: insights.isRecurrent,
    hybrid: insights.isHybrid,
    encoder: insights.hasEncoder,
    swaSize: insights.swaSize || undefined,
    multiAxisRope: MULTI_AXIS_ROPE.has(arch) || (Array.isArray(sections) && sections.some((s) => s > 0)),
    qkNorm: tensorNames.has("blk.0.attn_k_norm.weight"),
    mla: a.attention?.kv_lora_rank != null,
  };
}
