#pragma once
// DynSplit-KV graph hook, the llama.cpp side (DynSplit Chat, kernels/README.md): the graph operations built
// in llm_graph_context::build_attn and their read-back after each ubatch. Public API: include/llama-dynsplit.h.

#include "llama-dynsplit.h"

#include <vector>

struct ggml_cgraph;
struct ggml_context;
struct ggml_tensor;
struct ggml_backend_sched;
struct llama_cparams;
struct llama_hparams;
struct llama_ubatch;
class llama_kv_cache;
class llama_kv_cache_context;
class llm_graph_result;

// The outputs one layer's hook added to the graph (nullptr where not asked for).
struct llama_dynsplit_layer_outputs {
    int il = -1;
    const llama_kv_cache * kv = nullptr; // the cache whose cells the columns are (SWA layers: the SWA cache)
    int32_t n_head   = 0;
    int32_t obs_rows = 0;                // the last obs_rows rows of the ubatch were observation rows
    ggml_tensor * obs   = nullptr;       // [n_kv]: attention of the observation rows, summed over rows and heads
    ggml_tensor * local = nullptr;       // [2, n_head, n_tokens]: each row's mass on its local keys, and on sink keys
    ggml_tensor * total = nullptr;       // [n_tokens, n_head]: its whole mass (models with learned sinks; else it is 1)
    ggml_tensor * q     = nullptr;       // [head_dim, n_head, obs_rows]: roped queries of the observation rows
    ggml_tensor * key_norm = nullptr;    // [1, n_head_kv, n_tokens]: L2 norm of each new key
};

class llm_graph_input_dynsplit_pos;
class llm_graph_input_dynsplit_rows;

// A layer whose reductions wait for build_attn_mha's own softmax (flash attention off).
struct llama_dynsplit_pending {
    llama_dynsplit_layer_outputs out;
    ggml_tensor * q = nullptr;
    bool learned_sinks = false;
};

// Kept in llm_graph_result next to the other outputs; cleared with it.
struct llama_dynsplit_outputs {
    std::vector<llama_dynsplit_layer_outputs> layers;
    llama_dynsplit_pending pending;
    // how many observation rows this graph was built for (a graph is reused only for a ubatch with as many)
    llm_graph_input_dynsplit_rows * rows = nullptr;
    // key and query positions for dense mode, one input per KV cache (two for iSWA models)
    std::vector<llm_graph_input_dynsplit_pos *> positions;

    void clear() {
        layers.clear();
        positions.clear();
        pending = {};
        rows = nullptr;
    }
};

// Called by build_attn for each layer after K/V are stored: adds the hook's operations when the params ask.
// q: roped queries [head_dim, n_head, n_tokens]; k_cur: the ubatch's new keys [head_dim, n_head_kv, n_tokens] (may be
// null); k: the layer's K cache view; kq_mask: the layer's own mask.
// With flash attention on, the hook computes softmax(q·Kᵀ) for the rows it needs; with it off, it leaves the layer
// pending for llama_dynsplit_reuse_probs.
void llama_dynsplit_build_attn(
        ggml_context * ctx0, ggml_cgraph * gf, llm_graph_result * res,
        const llama_cparams & cparams, const llama_hparams & hparams, const llama_ubatch & ubatch,
        const llama_kv_cache_context * mctx, ggml_tensor * q, ggml_tensor * k_cur, ggml_tensor * k, ggml_tensor * kq_mask,
        ggml_tensor * kq_b, ggml_tensor * sinks, float kq_scale, int il);

// Called by build_attn_mha right after its softmax (flash attention off): reduces that softmax for a pending layer.
void llama_dynsplit_reuse_probs(ggml_context * ctx0, ggml_cgraph * gf, llm_graph_result * res, const llama_cparams & cparams,
                                ggml_tensor * kq_soft_max, int il);

// Called by llama_context::decode after each ubatch: reads the outputs back and adds them to the state.
void llama_dynsplit_extract(
        llama_dynsplit_state & state, ggml_backend_sched * sched, const llm_graph_result * res, const llama_ubatch & ubatch);
