// DynSplit-KV graph hook (DynSplit Chat, kernels/README.md). Standard ggml operations only, so that the
// signal is computed on the backend that holds the KV cache, with flash attention on or off: for the rows that
// are asked for, softmax(q·Kᵀ·scale + mask) against the layer's K cache view and its own mask (SWA layers use
// their window), reduced in the graph to what DynSplit-KV needs, and read back like logits.

#include "llama-dynsplit-graph.h"

#include "llama-batch.h"
#include "llama-context.h"
#include "llama-graph.h"
#include "llama-hparams.h"
#include "llama-kv-cache-iswa.h"
#include "llama-kv-cache.h"

#include "ggml-backend.h"
#include "ggml.h"

#include <algorithm>
#include <chrono>
#include <cmath>

// Key positions ([n_kv], empty or foreign cells far in the past) and query positions ([n_tokens]) of one cache,
// for the banded local/sink masks of dense mode. Tiny inputs; the masks are built in the graph.
class llm_graph_input_dynsplit_pos : public llm_graph_input_i {
public:
    explicit llm_graph_input_dynsplit_pos(const llama_kv_cache * kv) : kv(kv) {}

    void set_input(const llama_ubatch * ubatch) override {
        if (kpos->buffer == nullptr || qpos->buffer == nullptr || ubatch->n_tokens == 0) {
            return;
        }
        const llama_seq_id seq = ubatch->seq_id[0][0];
        const llama_kv_cells & cells = kv->get_cells(seq);
        std::vector<float> kp(kpos->ne[0]);
        for (int64_t j = 0; j < kpos->ne[0]; j++) {
            const bool used = (uint32_t) j < cells.size() && !cells.is_empty(j) && cells.seq_has(j, seq);
            kp[j] = used ? (float) cells.pos_get(j) : -1e9f;
        }
        ggml_backend_tensor_set(kpos, kp.data(), 0, kp.size() * sizeof(float));
        std::vector<float> qp(qpos->ne[1]);
        for (int64_t i = 0; i < qpos->ne[1]; i++) {
            qp[i] = (float) ubatch->pos[i];
        }
        ggml_backend_tensor_set(qpos, qp.data(), 0, qp.size() * sizeof(float));
    }

    // the attention input already checks n_kv; positions are rewritten on every set_input
    bool can_reuse(const llm_graph_params & params) override { return qpos->ne[1] == params.ubatch.n_tokens; }

    const llama_kv_cache * kv;
    ggml_tensor * kpos = nullptr; // [n_kv]
    ggml_tensor * qpos = nullptr; // [1, n_tokens]
};

static llm_graph_input_dynsplit_pos * dynsplit_positions(ggml_context * ctx0, llm_graph_result * res, const llama_kv_cache * kv,
                                                         int64_t n_kv, int64_t n_tokens) {
    for (auto * p : res->dynsplit.positions) {
        if (p->kv == kv) {
            return p;
        }
    }
    auto inp = std::make_unique<llm_graph_input_dynsplit_pos>(kv);
    inp->kpos = ggml_new_tensor_1d(ctx0, GGML_TYPE_F32, n_kv);
    inp->qpos = ggml_new_tensor_2d(ctx0, GGML_TYPE_F32, 1, n_tokens);
    ggml_set_input(inp->kpos);
    ggml_set_input(inp->qpos);
    ggml_set_name(inp->kpos, "dynsplit_kpos");
    ggml_set_name(inp->qpos, "dynsplit_qpos");
    auto * p = static_cast<llm_graph_input_dynsplit_pos *>(res->add_input(std::move(inp)));
    res->dynsplit.positions.push_back(p);
    return p;
}

static ggml_tensor * dynsplit_output(ggml_cgraph * gf, ggml_tensor * t, const char * name, int il) {
    ggml_format_name(t, "dynsplit_%s-%d", name, il);
    ggml_set_output(t);
    ggml_build_forward_expand(gf, t);
    return t;
}

void llama_dynsplit_build_attn(
        ggml_context * ctx0, ggml_cgraph * gf, llm_graph_result * res,
        const llama_cparams & cparams, const llama_hparams & hparams,
        const llama_kv_cache_context * mctx, ggml_tensor * q, ggml_tensor * k, ggml_tensor * kq_mask,
        ggml_tensor * sinks, float kq_scale, int il) {
    const llama_dynsplit_params & p = cparams.dynsplit;
    if (!p.enabled || !p.selects(il) || mctx == nullptr || kq_mask == nullptr) {
        return;
    }
    const int64_t n_tokens = q->ne[2];
    const int64_t n_head   = q->ne[1];
    const int64_t n_kv     = k->ne[2];
    if (k->ne[3] != 1 || n_tokens == 0 || kq_mask->ne[3] != 1 || kq_mask->ne[1] != n_tokens) {
        return; // several streams in one ubatch: not measured (the read-back counts it as skipped)
    }
    const int64_t n_obs = p.obs_rows < 0 ? n_tokens : std::min<int64_t>(p.obs_rows, n_tokens);
    const int64_t n_rows = p.dense ? n_tokens : n_obs; // the rows whose distribution is computed: the last n_rows
    if (n_rows == 0) {
        return;
    }
    llama_dynsplit_layer_outputs out;
    out.il = il;
    out.kv = mctx->get_kv();
    out.n_head = (int32_t) n_head;
    out.obs_rows = (int32_t) n_obs;

    // scores of the last n_rows queries against every cell: [n_kv, n_rows, n_head] (GQA broadcasts K's heads)
    ggml_tensor * q_rows = ggml_view_3d(ctx0, q, q->ne[0], n_head, n_rows, q->nb[1], q->nb[2], (n_tokens - n_rows) * q->nb[2]);
    ggml_tensor * kq = ggml_mul_mat(ctx0, ggml_permute(ctx0, k, 0, 2, 1, 3), ggml_permute(ctx0, q_rows, 0, 2, 1, 3));
    ggml_prec_set_acc(kq, GGML_PREC_F32);
    if (hparams.attn_soft_cap) {
        kq = ggml_scale(ctx0, kq, 1.0f / hparams.f_attn_logit_softcapping);
        kq = ggml_tanh(ctx0, kq);
        kq = ggml_scale(ctx0, kq, hparams.f_attn_logit_softcapping);
    }
    ggml_tensor * mask_rows = ggml_view_4d(ctx0, kq_mask, n_kv, n_rows, 1, 1, kq_mask->nb[1], kq_mask->nb[2], kq_mask->nb[3],
                                           (n_tokens - n_rows) * kq_mask->nb[1]);
    ggml_tensor * probs = ggml_soft_max_ext(ctx0, kq, mask_rows, kq_scale, hparams.f_max_alibi_bias);
    ggml_soft_max_add_sinks(probs, sinks);
    ggml_format_name(probs, "dynsplit_probs-%d", il);

    if (n_obs > 0) {
        // the observation rows are the last n_obs of the computed rows; sum over rows and heads → [n_kv]
        ggml_tensor * obs = ggml_view_3d(ctx0, probs, n_kv, n_obs, n_head, probs->nb[1], probs->nb[2], (n_rows - n_obs) * probs->nb[1]);
        obs = ggml_cont(ctx0, ggml_permute(ctx0, obs, 2, 0, 1, 3)); // [n_obs, n_head, n_kv]
        obs = ggml_sum_rows(ctx0, ggml_reshape_2d(ctx0, obs, n_obs * n_head, n_kv));
        out.obs = dynsplit_output(gf, obs, "obs", il);
        if (p.capture_queries) {
            ggml_tensor * q_obs = ggml_view_3d(ctx0, q, q->ne[0], n_head, n_obs, q->nb[1], q->nb[2], (n_tokens - n_obs) * q->nb[2]);
            out.q = dynsplit_output(gf, ggml_cont(ctx0, q_obs), "q", il);
        }
    }
    if (p.dense) {
        // banded masks from positions: local = key position in (q - r, q] (the causal mask bounds it above), sink = below
        // sink_tokens and not local. Both [n_kv, n_tokens], shared by the heads.
        auto * pos = dynsplit_positions(ctx0, res, out.kv, n_kv, n_tokens);
        ggml_tensor * dist = ggml_sub(ctx0, ggml_repeat_4d(ctx0, pos->kpos, n_kv, n_tokens, 1, 1), pos->qpos); // k - q
        ggml_tensor * local = ggml_step(ctx0, ggml_scale_bias(ctx0, dist, 1.0f, (float) p.local_window - 0.5f));
        ggml_tensor * not_local = ggml_step(ctx0, ggml_scale_bias(ctx0, dist, -1.0f, 0.5f - (float) p.local_window));
        ggml_tensor * sink_key = ggml_step(ctx0, ggml_scale_bias(ctx0, pos->kpos, -1.0f, (float) p.sink_tokens - 0.5f));
        ggml_tensor * sink = ggml_mul(ctx0, not_local, sink_key);
        out.local = dynsplit_output(gf, ggml_sum_rows(ctx0, ggml_mul(ctx0, probs, local)), "local", il);
        out.sink  = dynsplit_output(gf, ggml_sum_rows(ctx0, ggml_mul(ctx0, probs, sink)), "sink", il);
        out.total = dynsplit_output(gf, ggml_sum_rows(ctx0, probs), "total", il);
    }
    res->dynsplit.layers.push_back(out);
}

static std::vector<float> dynsplit_read(ggml_backend_sched * sched, ggml_tensor * t) {
    std::vector<float> v(ggml_nelements(t));
    ggml_backend_t backend = ggml_backend_sched_get_tensor_backend(sched, t);
    GGML_ASSERT(backend != nullptr);
    ggml_backend_tensor_get_async(backend, t, v.data(), 0, ggml_nbytes(t));
    ggml_backend_synchronize(backend);
    return v;
}

template <typename T> static T & dynsplit_at(std::vector<T> & v, size_t i) {
    if (v.size() <= i) {
        v.resize(i + 1, T(0));
    }
    return v[i];
}

void llama_dynsplit_extract(
        llama_dynsplit_state & st, ggml_backend_sched * sched, const llm_graph_result * res, const llama_ubatch & ubatch) {
    if (res == nullptr || res->dynsplit.layers.empty()) {
        return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(st.mutex);
    if (ubatch.n_seqs_unq != 1 || ubatch.seq_id_unq[0] != st.seq_id) {
        st.skipped++;
        return;
    }
    const int64_t n_tokens = ubatch.n_tokens;
    for (const auto & lo : res->dynsplit.layers) {
        if (std::find(st.layers_seen.begin(), st.layers_seen.end(), lo.il) == st.layers_seen.end()) {
            st.layers_seen.push_back(lo.il);
        }
        st.n_head = lo.n_head;
        if (lo.obs != nullptr) {
            const std::vector<float> v = dynsplit_read(sched, lo.obs);
            const llama_kv_cells & cells = lo.kv->get_cells(st.seq_id);
            for (size_t j = 0; j < v.size() && j < cells.size(); j++) {
                if (!cells.is_empty(j) && cells.seq_has(j, st.seq_id)) {
                    dynsplit_at(st.obs_mass, cells.pos_get(j)) += v[j];
                }
            }
            st.obs_distributions += (uint64_t) lo.obs_rows * lo.n_head;
            st.last_n_kv = (int32_t) v.size();
        }
        if (lo.q != nullptr) {
            const std::vector<float> v = dynsplit_read(sched, lo.q);
            llama_dynsplit_queries * lq = nullptr;
            for (auto & c : st.queries) {
                if (c.layer == lo.il) lq = &c;
            }
            if (lq == nullptr) {
                st.queries.push_back({});
                lq = &st.queries.back();
                lq->layer = lo.il;
                lq->n_head = lo.n_head;
                lq->head_dim = (int32_t) lo.q->ne[0];
            }
            lq->data.insert(lq->data.end(), v.begin(), v.end());
            for (int64_t r = n_tokens - lo.obs_rows; r < n_tokens; r++) lq->positions.push_back(ubatch.pos[r]);
        }
        if (lo.local != nullptr) {
            const std::vector<float> local = dynsplit_read(sched, lo.local); // [n_tokens, n_head]
            const std::vector<float> sink  = dynsplit_read(sched, lo.sink);
            const std::vector<float> total = dynsplit_read(sched, lo.total);
            for (int64_t i = 0; i < n_tokens; i++) {
                double l = 0, s = 0, t = 0;
                for (int64_t h = 0; h < lo.n_head; h++) {
                    l += local[h * n_tokens + i];
                    s += sink[h * n_tokens + i];
                    t += total[h * n_tokens + i];
                }
                const llama_pos pos = ubatch.pos[i];
                dynsplit_at(st.local_mass, pos) += l;
                dynsplit_at(st.sink_mass, pos) += s;
                dynsplit_at(st.distant_mass, pos) += std::max(0.0, t - l - s);
                dynsplit_at(st.query_rows, pos) += lo.n_head;
            }
        }
    }
    st.ubatches++;
    st.readback_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void llama_context::set_dynsplit(const llama_dynsplit_params & params, llama_seq_id seq_id) {
    {
        std::lock_guard<std::mutex> lock(dynsplit_state.mutex);
        dynsplit_state.seq_id = seq_id;
    }
    if (params != cparams.dynsplit) {
        cparams.dynsplit = params;
        sched_need_reserve = true; // the worst-case graph changes with the hook (as with set_embeddings_layer_inp)
    }
}

void llama_dynsplit_set_params(llama_context * ctx, const llama_dynsplit_params & params, llama_seq_id seq_id) {
    ctx->set_dynsplit(params, seq_id);
}

void llama_dynsplit_reset(llama_context * ctx) {
    std::lock_guard<std::mutex> lock(ctx->dynsplit_state.mutex);
    ctx->dynsplit_state.reset();
}

llama_dynsplit_state * llama_dynsplit_get_state(llama_context * ctx) {
    return &ctx->dynsplit_state;
}

extern "C" int32_t llama_dynsplit_kv_cell_positions(llama_context * ctx, llama_seq_id seq_id, int32_t * out, int32_t n_out) {
    llama_memory_t mem = llama_get_memory(ctx);
    const llama_kv_cache * kv = dynamic_cast<const llama_kv_cache *>(mem);
    if (kv == nullptr) {
        const auto * iswa = dynamic_cast<const llama_kv_cache_iswa *>(mem);
        if (iswa == nullptr) {
            return -1;
        }
        kv = iswa->get_base();
    }
    const llama_kv_cells & cells = kv->get_cells(seq_id);
    const int32_t n = (int32_t) cells.size();
    for (int32_t i = 0; i < std::min(n, n_out); i++) {
        out[i] = (!cells.is_empty(i) && cells.seq_has(i, seq_id)) ? cells.pos_get(i) : -1;
    }
    return n;
}
