#pragma once
// DynSplit-KV graph hook (DynSplit Chat, kernels/README.md): the attention signal DynSplit-KV needs, computed
// in llama.cpp's compute graph with standard ggml operations, so that it runs on whichever backend holds the
// KV cache (CPU, CUDA, Vulkan, Metal) and with flash attention on or off. Gated per context; the outputs are
// small (one value per KV cell or per query row and layer) and read back after each ubatch, like logits.

#include "llama.h"

#include <cstdint>
#include <mutex>
#include <vector>

// What the graph computes. Part of llama_cparams: a change rebuilds the graph, equal params let it be reused.
struct llama_dynsplit_params {
    bool     enabled         = false;
    // observation rows of each ubatch: > 0 the last n rows, < 0 every row, 0 none. For each, the attention
    // distribution over the KV cells is summed (over rows and heads) into one [n_kv] vector per layer.
    int32_t  obs_rows        = 0;
    // >= 0: the observation rows are instead the rows at positions >= obs_from_pos (the last w tokens of a prefill
    // evaluated in one call: only the ubatch that holds them gets the extra operations)
    int32_t  obs_from_pos    = -1;
    // dense: for every row, its mass on local keys (position in (q - local_window, q]) and on sink keys
    // (position < sink_tokens, not local); the rest of its mass is distant. DD-Select's boundary score.
    bool     dense           = false;
    int32_t  local_window    = 32;
    int32_t  sink_tokens     = 4;
    // keep the roped query vectors of the observation rows (repository memory scores block summaries with them)
    bool     capture_queries = false;
    // the L2 norm of every new key, per KV head (the key-norm signal, for the new cells only)
    bool     key_norms       = false;
    // layers taken into account: empty = all
    std::vector<bool> layers;

    bool selects(int il) const { return layers.empty() || (il >= 0 && (size_t) il < layers.size() && layers[il]); }

    bool operator==(const llama_dynsplit_params & o) const {
        return enabled == o.enabled && obs_rows == o.obs_rows && obs_from_pos == o.obs_from_pos && dense == o.dense && local_window == o.local_window &&
               sink_tokens == o.sink_tokens && capture_queries == o.capture_queries && key_norms == o.key_norms &&
               layers == o.layers;
    }
    bool operator!=(const llama_dynsplit_params & o) const { return !(*this == o); }
};

// Roped query vectors of the observation rows of one layer, in evaluation order.
struct llama_dynsplit_queries {
    int32_t layer   = 0;
    int32_t n_head  = 0;
    int32_t head_dim = 0;
    std::vector<float>     data;      // rows x n_head x head_dim
    std::vector<llama_pos> positions; // one per row
};

// Host-side sums since the last reset, indexed by token position (cells are mapped to positions when read back).
struct llama_dynsplit_state {
    std::mutex mutex;
    std::vector<double>  obs_mass;    // [pos] attention received from observation rows, summed over rows, heads, layers
    std::vector<double>  local_mass;  // [pos of the query] dense mode, summed over heads and layers
    std::vector<double>  distant_mass;
    std::vector<double>  sink_mass;
    std::vector<int32_t> query_rows;  // [pos of the query] head x layer distributions behind local/distant/sink
    std::vector<double>  key_norm;    // [pos] Σ over KV heads and layers of the key's L2 norm
    std::vector<int32_t> key_norm_count; // [pos] KV head x layer norms behind key_norm
    uint64_t obs_distributions = 0;   // row x head x layer distributions behind obs_mass
    uint64_t ubatches = 0;            // ubatches read back
    uint64_t skipped  = 0;            // ubatches not read: several sequences in one ubatch, or another sequence
    double   readback_ms = 0;         // time spent copying and mapping the outputs
    int32_t  n_head   = 0;
    int32_t  last_n_kv = 0;
    llama_seq_id seq_id = 0;          // the sequence measured
    std::vector<int32_t> layers_seen;
    std::vector<llama_dynsplit_queries> queries;

    void reset() {
        obs_mass.clear(); local_mass.clear(); distant_mass.clear(); sink_mass.clear(); query_rows.clear();
        key_norm.clear(); key_norm_count.clear();
        obs_distributions = 0; ubatches = 0; skipped = 0; readback_ms = 0; last_n_kv = 0;
        layers_seen.clear(); queries.clear();
    }
};

// Sets what the graph computes for this context (the next decode builds a graph with it); seq_id is the sequence measured.
LLAMA_API void llama_dynsplit_set_params(llama_context * ctx, const llama_dynsplit_params & params, llama_seq_id seq_id);
LLAMA_API void llama_dynsplit_reset(llama_context * ctx);
// The sums; lock state->mutex while reading.
LLAMA_API llama_dynsplit_state * llama_dynsplit_get_state(llama_context * ctx);

// Position of every KV cell of the sequence's stream in cell-index order (-1: empty or not in seq_id).
// Returns the number of cells; writes at most n_out. (The base cache of an iSWA model.)
extern "C" LLAMA_API int32_t llama_dynsplit_kv_cell_positions(llama_context * ctx, llama_seq_id seq_id, int32_t * out, int32_t n_out);
