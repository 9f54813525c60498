/**
 * KV bytes per token as llama.cpp stores them, for models the GGUF formula (core/kvMemory.ts) gets wrong: recurrent
 * and hybrid memories, latent (MLA) caches. Measured as the growth of the context's serialized state per evaluated
 * token, less the per-cell bookkeeping (position and sequence ids) the state format adds to every cache.
 */
import type {LlamaModel, Token} from "node-llama-cpp";

const CELL_BOOKKEEPING_BYTES = 12; // llama_pos + n_seq_id + one llama_seq_id per cell, per cache

export async function measuredKvBytesPerToken(model: LlamaModel, options: {swaFullCache?: boolean; caches?: number} = {}): Promise<number> {
  const context = await model.createContext({contextSize: 256, batchSize: 16, swaFullCache: options.swaFullCache});
  try {
    const sequence = context.getSequence();
    const ids = model.tokenize("def f(x):\n    return x + 1\n").slice(0, 6) as Token[];
    if (ids.length < 6) return 0;
    await sequence.evaluateWithoutGeneratingNewTokens(ids.slice(0, 2));
    const before = context.stateSize;
    await sequence.evaluateWithoutGeneratingNewTokens(ids.slice(2, 6));
    const perToken = (context.stateSize - before) / 4;
    return Math.max(0, perToken - (perToken > 0 ? CELL_BOOKKEEPING_BYTES * (options.caches ?? 1) : 0));
  } finally {
    await context.dispose();
  }
}
