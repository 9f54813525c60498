import {ggufMetadataView, largest} from "./ggufMetadata";
import {DynSplitInputError} from "./errors";

/** KV cache element types and their size in bytes per element (block-quantized types amortised per element). */
export const KV_TYPE_BYTES = {
  F32: 4,
  F16: 2,
  BF16: 2,
  Q8_0: 34 / 32,
  Q5_1: 24 / 32,
  Q5_0: 22 / 32,
  Q4_1: 20 / 32,
  Q4_0: 18 / 32,
  IQ4_NL: 18 / 32,
} as const;
export type KvType = keyof typeof KV_TYPE_BYTES;

/** The key-cache types a user can choose (the engine's `kvCacheType`), and their ggml names. */
export const KV_CACHE_TYPES = ["f16", "q8_0", "q4_0"] as const;
export type KvCacheType = (typeof KV_CACHE_TYPES)[number];
export const KV_CACHE_GGML = {f16: "F16", q8_0: "Q8_0", q4_0: "Q4_0"} as const satisfies Record<KvCacheType, KvType>;
export const KV_CACHE_TYPE_DESCRIPTIONS: Record<KvCacheType, string> = {
  f16: "16-bit keys (exact K-shift and restore)",
  q8_0: "8-bit block-quantized keys: about half the key memory; moved keys are re-quantized, the store re-prefills its blocks",
  q4_0: "4-bit block-quantized keys: about a quarter; the key-norm signal is unavailable",
};

/** ggml type ids as written in GGUF and KV state files. */
const GGML_TYPE_IDS: Record<number, KvType> = {
  0: "F32",
  1: "F16",
  2: "Q4_0",
  3: "Q4_1",
  6: "Q5_0",
  7: "Q5_1",
  8: "Q8_0",
  20: "IQ4_NL",
  30: "BF16",
};

export function kvTypeFromGgmlId(id: number): KvType {
  const t = GGML_TYPE_IDS[id];
  if (!t) throw new DynSplitInputError(`unsupported KV cache type id ${id}`);
  return t;
}

/** What fixes the KV cache size of a model. `nHeadKv` may differ per layer (some GGUFs store an array). */
export interface KvGeometry {
  nLayer: number;
  nHeadKv: number | readonly number[];
  headDimK: number;
  headDimV: number;
  typeK: KvType;
  typeV: KvType;
}

/** Bytes one token occupies in the KV cache: Σ_layers n_head_kv × (head_dim_k·size(type_k) + head_dim_v·size(type_v)). */
export function kvBytesPerToken(g: KvGeometry): number {
  const perHead = g.headDimK * KV_TYPE_BYTES[g.typeK] + g.headDimV * KV_TYPE_BYTES[g.typeV];
  if (typeof g.nHeadKv === "number") return g.nLayer * g.nHeadKv * perHead;
  if (g.nHeadKv.length !== g.nLayer) throw new DynSplitInputError(`nHeadKv lists ${g.nHeadKv.length} layers, the model has ${g.nLayer}`);
  let heads = 0;
  for (const h of g.nHeadKv) heads += h;
  return heads * perHead;
}

/** Bytes for `tokens` cells, rounded up (quantized rows are whole blocks). */
export function kvBytes(g: KvGeometry, tokens: number): number {
  return Math.ceil(kvBytesPerToken(g) * tokens);
}

/**
 * Reads the geometry from GGUF metadata laid out as node-llama-cpp's `fileInfo.metadata` ({general:{architecture},
 * <arch>:{block_count, attention:{head_count, head_count_kv, key_length, value_length}, embedding_length}}).
 */
export function kvGeometryFromGguf(metadata: unknown, typeK: KvType = "F16", typeV: KvType = "F16"): KvGeometry {
  const {architecture: arch, section: a} = ggufMetadataView(metadata);
  if (!arch || Object.keys(a).length === 0) throw new DynSplitInputError("GGUF metadata has no architecture section");
  const nLayer = Number(a.block_count);
  const nHead = a.attention?.head_count;
  const nHeadKv = a.attention?.head_count_kv ?? nHead;
  const nEmbd = Number(a.embedding_length);
  const headDimK = Number(a.attention?.key_length ?? nEmbd / largest(nHead));
  const headDimV = Number(a.attention?.value_length ?? nEmbd / largest(nHead));
  const g: KvGeometry = {nLayer, nHeadKv: Array.isArray(nHeadKv) ? nHeadKv.map(Number) : Number(nHeadKv), headDimK, headDimV, typeK, typeV};
  if (!(nLayer > 0) || !(headDimK > 0) || !(headDimV > 0))
    throw new DynSplitInputError(`incomplete KV geometry in GGUF metadata for "${arch}"`);
  return g;
}

/** "3.2× less" than a full cache, or that nothing was saved (a context as large as the input saves nothing). */
export function savingText(fullCacheBytes: number, allocatedBytes: number, input = "the workspace"): string {
  const ratio = fullCacheBytes / Math.max(1, allocatedBytes);
  return ratio > 1.05 ? `${ratio.toFixed(1)}× less` : `nothing saved: ${input} fits the context`;
}

/** Human-readable byte count (KiB/MiB/GiB, binary units). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}
