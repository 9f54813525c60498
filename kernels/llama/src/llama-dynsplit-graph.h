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
    ggml_tensor * local = nullptr;       // [n_tokens, n_head]: each row's mass on local keys
    ggml_tensor * sink  = nullptr;       // [n_tokens, n_head]: on sink keys
    ggml_tensor * total = nullptr;       // [n_tokens, n_head]: its whole mass (1 unless the model has learned sinks)
    ggml_tensor * q     = nullptr;       // [head_dim, n_head, obs_rows]: roped queries of the observation rows
};

class llm_graph_input_dynsplit_pos;

// Kept in llm_graph_result next to the other outputs; cleared with it.
struct llama_dynsplit_outputs {
    std::vector<llama_dynsplit_layer_outputs> layers;
    // key and query positions for dense mode, one input per KV cache (two for iSWA models)
    std::vector<llm_graph_input_dynsplit_pos *> positions;

    void clear() {
        layers.clear();
        positions.clear();
    }
};

// Called by build_attn for each layer after K/V are stored: adds the hook's operations when the params ask.
// q: roped queries [head_dim, n_head, n_tokens]; k: the layer's K cache view; kq_mask: the layer's own mask.
void llama_dynsplit_build_attn(
        ggml_context * ctx0, ggml_cgraph * gf, llm_graph_result * res,
        const llama_cparams & cparams, const llama_hparams & hparams,
        const llama_kv_cache_context * mctx, ggml_tensor * q, ggml_tensor * k, ggml_tensor * kq_mask,
        ggml_tensor * sinks, float kq_scale, int il);

// Called by llama_context::decode after each ubatch: reads the outputs back and adds them to the state.
void llama_dynsplit_extract(
        llama_dynsplit_state & state, ggml_backend_sched * sched, const llm_graph_result * res, const llama_ubatch & ubatch);
