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
    // the banded masks built from them, once per graph and shared by the layers of this cache:
    // [n_kv, 2, n_tokens], row 0 local, row 1 sink
    ggml_tensor * masks = nullptr;
};

// The number of observation rows of a ubatch: the last obs_rows rows, or those at positions >= obs_from_pos.
static int64_t dynsplit_obs_rows(const llama_dynsplit_params & p, const llama_ubatch & ubatch) {
    const int64_t n_tokens = ubatch.n_tokens;
    if (p.obs_from_pos < 0) {
        return p.obs_rows < 0 ? n_tokens : std::min<int64_t>(p.obs_rows, n_tokens);
    }
    if (ubatch.pos == nullptr) {
        return n_tokens; // a worst-case graph for reservation
    }
    int64_t n = 0;
    for (int64_t i = 0; i < n_tokens; i++) {
        n += ubatch.pos[i] >= p.obs_from_pos ? 1 : 0;
    }
    return n;
}

// No tensor: it only keeps a graph built for n_obs observation rows from being reused for a ubatch with another count.
class llm_graph_input_dynsplit_rows : public llm_graph_input_i {
public:
    llm_graph_input_dynsplit_rows(const llama_dynsplit_params & p, int64_t n_obs) : params(p), n_obs(n_obs) {}
    void set_input(const llama_ubatch *) override {}
    bool can_reuse(const llm_graph_params & gp) override { return dynsplit_obs_rows(params, gp.ubatch) == n_obs; }
    const llama_dynsplit_params params;
    const int64_t n_obs;
};

// Local = key position in (q - r, q] (the causal mask bounds it above); sink = below sink_tokens and not local.
static llm_graph_input_dynsplit_pos * dynsplit_positions(ggml_context * ctx0, llm_graph_result * res, const llama_kv_cache * kv,
                                                         int64_t n_kv, int64_t n_tokens, const llama_dynsplit_params & p) {
    for (auto * existing : res->dynsplit.positions) {
        if (existing->kv == kv) {
            return existing;
        }
    }
    auto inp = std::make_unique<llm_graph_input_dynsplit_pos>(kv);
    inp->kpos = ggml_new_tensor_1d(ctx0, GGML_TYPE_F32, n_kv);
    inp->qpos = ggml_new_tensor_2d(ctx0, GGML_TYPE_F32, 1, n_tokens);
    ggml_set_input(inp->kpos);
    ggml_set_input(inp->qpos);
    ggml_set_name(inp->kpos, "dynsplit_kpos");
    ggml_set_name(inp->qpos, "dynsplit_qpos");
    auto * pos = static_cast<llm_graph_input_dynsplit_pos *>(res->add_input(std::move(inp)));
    ggml_tensor * dist = ggml_sub(ctx0, ggml_repeat_4d(ctx0, pos->kpos, n_kv, n_tokens, 1, 1), pos->qpos); // k - q
    ggml_tensor * local = ggml_step(ctx0, ggml_scale_bias(ctx0, dist, 1.0f, (float) p.local_window - 0.5f));
    ggml_tensor * not_local = ggml_step(ctx0, ggml_scale_bias(ctx0, dist, -1.0f, 0.5f - (float) p.local_window));
    ggml_tensor * sink_key = ggml_step(ctx0, ggml_scale_bias(ctx0, pos->kpos, -1.0f, (float) p.sink_tokens - 0.5f));
    ggml_tensor * sink = ggml_mul(ctx0, not_local, sink_key);
    pos->masks = ggml_concat(ctx0, ggml_reshape_3d(ctx0, local, n_kv, 1, n_tokens), ggml_reshape_3d(ctx0, sink, n_kv, 1, n_tokens), 1);
    res->dynsplit.positions.push_back(pos);
    return pos;
}

static ggml_tensor * dynsplit_output(ggml_cgraph * gf, ggml_tensor * t, const char * name, int il) {
    ggml_format_name(t, "dynsplit_%s-%d", name, il);
    ggml_set_output(t);
    ggml_build_forward_expand(gf, t);
    return t;
}

// The reductions DynSplit-KV needs, from the softmaxed scores of the last n_rows rows of the ubatch
// (probs: [n_kv, n_rows, n_head]); q: the ubatch's roped queries [head_dim, n_head, n_tokens].
static void dynsplit_reduce(ggml_context * ctx0, ggml_cgraph * gf, llm_graph_result * res, const llama_dynsplit_params & p,
                            llama_dynsplit_layer_outputs out, ggml_tensor * probs, ggml_tensor * q, bool learned_sinks) {
    const int il = out.il;
    const int64_t n_kv = probs->ne[0], n_rows = probs->ne[1], n_head = probs->ne[2];
    const int64_t n_tokens = q->ne[2], n_obs = out.obs_rows;
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
        // each row's mass on its local and sink keys: for each row, its [n_kv, n_head] scores times its two masks,
        // one batched mat-mul that reads the scores once → [2, n_head, n_tokens]. The rest of a row's mass is
        // distant; without learned sinks a row's whole mass is 1, so it is not summed.
        auto * pos = dynsplit_positions(ctx0, res, out.kv, n_kv, n_tokens, p);
        ggml_tensor * by_row = ggml_view_3d(ctx0, probs, n_kv, n_head, n_rows, probs->nb[2], probs->nb[1], 0); // [n_kv, n_head, n_rows]
        ggml_tensor * masses = ggml_mul_mat(ctx0, pos->masks, by_row);
        ggml_prec_set_acc(masses, GGML_PREC_F32); // sums of up to n_kv probabilities: F16 accumulation would show
        out.local = dynsplit_output(gf, masses, "local_sink", il);
        if (learned_sinks) {
            out.total = dynsplit_output(gf, ggml_sum_rows(ctx0, probs), "total", il);
        }
    }
    res->dynsplit.layers.push_back(out);
}

void llama_dynsplit_build_attn(
        ggml_context * ctx0, ggml_cgraph * gf, llm_graph_result * res,
        const llama_cparams & cparams, const llama_hparams & hparams, const llama_ubatch & ubatch,
        const llama_kv_cache_context * mctx, ggml_tensor * q, ggml_tensor * k_cur, ggml_tensor * k, ggml_tensor * kq_mask,
        ggml_tensor * kq_b, ggml_tensor * sinks, float kq_scale, int il) {
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
    const int64_t n_obs = dynsplit_obs_rows(p, ubatch);
    if (res->dynsplit.rows == nullptr) {
        res->dynsplit.rows = static_cast<llm_graph_input_dynsplit_rows *>(
                res->add_input(std::make_unique<llm_graph_input_dynsplit_rows>(p, n_obs)));
    }
    llama_dynsplit_layer_outputs out;
    out.il = il;
    out.kv = mctx->get_kv();
    out.n_head = (int32_t) n_head;
    out.obs_rows = (int32_t) n_obs;
    if (p.key_norms && k_cur != nullptr && k_cur->ne[2] == n_tokens) {
        // the new keys as they enter the cache (RoPE and the cache's rotations keep norms): [1, n_head_kv, n_tokens]
        out.key_norm = dynsplit_output(gf, ggml_sqrt(ctx0, ggml_sum_rows(ctx0, ggml_sqr(ctx0, k_cur))), "key_norm", il);
    }
    if (n_obs == 0 && !p.dense) {
        if (out.key_norm != nullptr) {
            res->dynsplit.layers.push_back(out);
        }
        return;
    }

    if (!(cparams.flash_attn && kq_b == nullptr)) {
        // without flash attention, build_attn_mha computes this very softmax for every row: reduce that one
        // (llama_dynsplit_reuse_probs) instead of a second q·Kᵀ
        res->dynsplit.pending = {out, q, sinks != nullptr};
        return;
    }
    // scores of the last n_rows queries against every cell: [n_kv, n_rows, n_head] (GQA broadcasts K's heads)
    const int64_t n_rows = p.dense ? n_tokens : n_obs;
    ggml_tensor * q_rows = ggml_view_3d(ctx0, q, q->ne[0], n_head, n_rows, q->nb[1], q->nb[2], (n_tokens - n_rows) * q->nb[2]);
    // q rows made contiguous ([d, n_rows, n_head]): backends mat-mul small non-contiguous batches less robustly
    ggml_tensor * kq = ggml_mul_mat(ctx0, ggml_permute(ctx0, k, 0, 2, 1, 3), ggml_cont(ctx0, ggml_permute(ctx0, q_rows, 0, 2, 1, 3)));
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
    dynsplit_reduce(ctx0, gf, res, p, out, probs, q, sinks != nullptr);
}

void llama_dynsplit_reuse_probs(ggml_context * ctx0, ggml_cgraph * gf, llm_graph_result * res, const llama_cparams & cparams,
                                ggml_tensor * kq_soft_max, int il) {
    auto & pending = res->dynsplit.pending;
    if (pending.out.il != il || pending.q == nullptr) {
        return;
    }
    if (kq_soft_max->ne[3] == 1 && kq_soft_max->ne[1] == pending.q->ne[2]) {
        dynsplit_reduce(ctx0, gf, res, cparams.dynsplit, pending.out, kq_soft_max, pending.q, pending.learned_sinks);
    }
    pending = {};
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
        if (lo.key_norm != nullptr) {
            const std::vector<float> v = dynsplit_read(sched, lo.key_norm); // [1, n_head_kv, n_tokens]
            const int64_t n_head_kv = lo.key_norm->ne[1];
            for (int64_t i = 0; i < n_tokens; i++) {
                double sum = 0;
                for (int64_t h = 0; h < n_head_kv; h++) sum += v[i * n_head_kv + h];
                dynsplit_at(st.key_norm, ubatch.pos[i]) += sum;
                dynsplit_at(st.key_norm_count, ubatch.pos[i]) += (int32_t) n_head_kv;
            }
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
            const std::vector<float> ls = dynsplit_read(sched, lo.local); // [2, n_head, n_tokens]: local, sink
            const std::vector<float> total = lo.total != nullptr ? dynsplit_read(sched, lo.total) : std::vector<float>();
            for (int64_t i = 0; i < n_tokens; i++) {
                double l = 0, s = 0, t = 0;
                for (int64_t h = 0; h < lo.n_head; h++) {
                    l += ls[(i * lo.n_head + h) * 2 + 0];
                    s += ls[(i * lo.n_head + h) * 2 + 1];
                    t += total.empty() ? 1.0 : total[h * n_tokens + i];
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
    // No re-reservation: that would cost more than the hook's few nodes (twice per measured prefill); the scheduler
    // grows its buffers itself when a graph with the hook needs more.
    cparams.dynsplit = params;
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
