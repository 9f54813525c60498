/**
 * What this project can do with a model, decided once at load from facts of its GGUF (architecture, memory kind,
 * RoPE, tensors) instead of being discovered as a crash or a silent re-prefill in the middle of a compression.
 *
 * - supported: every mode works as designed.
 * - adapted: works with a named change (iSWA: the sliding-window layers keep every token so that a middle range can
 *   be dropped; QK-norm: key norms carry no importance, another signal is used; M-RoPE: no eviction, the repository
 *   memory re-prefills its blocks).
 * - refused: no part of the context can be dropped (a recurrent state, an encoder); the model still answers
 *   uncompressed (`full`, up to its context), and every compressed mode says why it cannot run.
 */

export type CapabilityVerdict = "supported" | "adapted" | "refused";

/** The engine's ways of answering that a model may not allow: the repository memory, and the compressed stream. */
export type CapabilityMode = "memory" | "compressed";

export interface ModelTraits {
  architecture: string;
  /** Mamba, RWKV: one running state per sequence instead of KV cells. */
  recurrent: boolean;
  /** Attention layers interleaved with recurrent ones (Jamba, Granite 4, Qwen3-Next). */
  hybrid: boolean;
  /** Encoder-decoder or encoder-only (T5, BERT): no causal KV cache to compress. */
  encoder: boolean;
  /** Sliding-window size of the SWA layers of an interleaved model (Gemma 2/3, Cohere 2), when it has some. */
  swaSize?: number;
  /** Multi-axis RoPE (Qwen2-VL, Qwen3-VL): positions are tuples llama.cpp cannot shift. */
  multiAxisRope: boolean;
  /** RMS norm on each head's keys before RoPE (Qwen3, Gemma 3, OLMo 2). */
  qkNorm: boolean;
  /** Multi-head latent attention (DeepSeek V2/V3): the cache holds a compressed latent, not per-head keys. */
  mla: boolean;
  /** The key cache is block-quantized (the engine's kvCacheType q8_0 / q4_0): a setting, not the architecture, but it
   *  decides the same thing — llama.cpp cannot K-shift quantized keys (ggml-org/llama.cpp#5652; here: a segfault). */
  quantizedKeys?: string;
}

export interface ModelCapability {
  verdict: CapabilityVerdict;
  /** One sentence for the status bar and `--json`: what was changed or why compression is refused. */
  reason: string;
  /** Modes that cannot run on this model, each with the message a request for it gets. */
  refusedModes: Partial<Record<CapabilityMode, string>>;
  /** Create every context with llama.cpp's full-size SWA cache (iSWA models). */
  swaFullCache: boolean;
  /** Whether per-token key norms say anything about importance (not under QK-norm). */
  keyNormInformative: boolean;
  /** Whether the engine's KV-state parser reads this model's state as per-head keys and values. */
  plainKvState: boolean;
}

export function modelCapability(t: ModelTraits): ModelCapability {
  const base: ModelCapability = {
    verdict: "supported",
    reason: "",
    refusedModes: {},
    swaFullCache: false,
    keyNormInformative: true,
    plainKvState: true,
  };
  const name = `the ${t.architecture} architecture`;
  const refusedFor = (why: string): ModelCapability => {
    const message = `${why}: compression is not possible; answer uncompressed with --method full (up to the model's context)`;
    return {
      ...base,
      verdict: "refused",
      reason: why,
      refusedModes: {memory: message, compressed: message},
      keyNormInformative: false,
      plainKvState: false,
    };
  };
  if (t.encoder) return refusedFor(`${name} has an encoder, not a causal KV cache`);
  if (t.recurrent)
    return refusedFor(`${name} keeps one recurrent state per sequence instead of KV cells, so no part of its context can be dropped`);
  if (t.hybrid) return refusedFor(`${name} mixes attention with recurrent layers whose state cannot drop a middle range`);

  const changes: string[] = [];
  const out = {...base, refusedModes: {} as ModelCapability["refusedModes"]};
  if (t.multiAxisRope) {
    out.plainKvState = false; // each cell carries a position tuple in the state
    changes.push(
      "multi-axis RoPE positions cannot be shifted, so nothing is evicted from a live context: the repository memory re-prefills the blocks it selects"
    );
    out.refusedModes.compressed = `${name} uses multi-axis RoPE (M-RoPE), whose positions llama.cpp cannot shift after an eviction: answer from the repository memory (--answer-from memory), or uncompressed with --method full`;
  }
  if (t.swaSize) {
    out.swaFullCache = true;
    out.plainKvState = false;
    changes.push(
      `its sliding-window layers (window ${t.swaSize}) keep every token (llama.cpp's full SWA cache), so a middle range can be dropped without re-reading`
    );
  }
  if (t.qkNorm) {
    out.keyNormInformative = false;
    changes.push(
      "its keys are RMS-normalised per head (QK-norm), so key norms carry no importance: blocks are scored by the attention probe or surprisal instead"
    );
  }
  if (t.mla) {
    out.plainKvState = false;
    changes.push("its cache holds a compressed attention latent (MLA), not per-head keys: no key summaries, blocks are re-prefilled");
  }
  if (t.quantizedKeys) {
    // Measured (scripts/benchKvShift.ts): the first decode after a shift of Q8_0/Q4_0 keys segfaults llama.cpp.
    out.refusedModes.compressed ??= `the compressed stream moves cached keys (K-shift), which crashes llama.cpp on a ${t.quantizedKeys} key cache: answer from the repository memory (--answer-from memory), or use --kv-cache f16`;
    if (t.quantizedKeys === "q4_0") out.plainKvState = false; // the state parser decodes F32, F16, BF16 and Q8_0 keys only
    changes.push(
      `keys quantized to ${t.quantizedKeys} cannot be shifted: no eviction from a live context, the repository memory re-prefills its blocks`
    );
  }
  if (changes.length === 0) return out;
  return {...out, verdict: "adapted", reason: changes.join("; ")};
}
