/**
 * The GGUF metadata fields we read, as node-llama-cpp nests them (`llama.attention.head_count` →
 * `md.llama.attention.head_count`). One typed view instead of `any` at every reader: the values are whatever the
 * file holds, so every field is optional and readers still check what they use.
 */
export type PerLayer = number | number[];

export interface ArchitectureMetadata {
  block_count?: number;
  embedding_length?: number;
  attention?: {head_count?: PerLayer; head_count_kv?: PerLayer; key_length?: number; value_length?: number; kv_lora_rank?: number};
  rope?: {
    dimension_count?: number;
    dimension_sections?: number[];
    freq_base?: number;
    scaling?: {type?: string; factor?: number};
  };
}

export interface GgufMetadataView {
  general?: {architecture?: string; name?: string};
  architecture: string;
  /** The `<architecture>` section ({} when the file has none). */
  section: ArchitectureMetadata;
}

export function ggufMetadataView(metadata: unknown): GgufMetadataView {
  const md = (metadata ?? {}) as Record<string, unknown> & Pick<GgufMetadataView, "general">;
  const architecture = String(md.general?.architecture ?? "");
  const section = (architecture && (md[architecture] as ArchitectureMetadata | undefined)) || {};
  return {general: md.general, architecture, section};
}

/** A per-layer value as one number: the largest (uniform models have one). */
export function largest(value: PerLayer | undefined): number {
  return Array.isArray(value) ? Math.max(...value) : Number(value);
}
