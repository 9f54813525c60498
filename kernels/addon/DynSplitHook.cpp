// DynSplit-KV graph hook, JS glue (DynSplit Chat, kernels/README.md): AddonContext methods that set what the
// graph computes (llama_dynsplit_set_params) and hand its sums to JS. The computation itself lives in
// llama.cpp's graph (llama.cpp/src/llama-dynsplit.cpp); nothing here runs during a decode.
#include <cstring>

#include "AddonContext.h"
#include "llama-dynsplit.h"

static const char * const DYNSPLIT_HOOK_VERSION = "dynsplit-graph-2";

Napi::Value AddonContext::DynsplitProbeSetOptions(const Napi::CallbackInfo & info) {
    if (ctx == nullptr) {
        Napi::Error::New(info.Env(), "the context is disposed").ThrowAsJavaScriptException();
        return info.Env().Undefined();
    }
    llama_dynsplit_params & p = dynsplitParams; // kept across calls: JS changes one option at a time
    const auto options = info[0].As<Napi::Object>();
    const auto int32 = [&](const char * name, int32_t & field) {
        if (options.Has(name)) field = options.Get(name).As<Napi::Number>().Int32Value();
    };
    const auto boolean = [&](const char * name, bool & field) {
        if (options.Has(name)) field = options.Get(name).As<Napi::Boolean>().Value();
    };
    boolean("enabled", p.enabled);
    int32("observationRows", p.obs_rows);
    int32("observationFromPosition", p.obs_from_pos);
    boolean("localDistantAllRows", p.dense);
    int32("localWindow", p.local_window);
    int32("sinkTokens", p.sink_tokens);
    boolean("captureQueries", p.capture_queries);
    boolean("keyNorms", p.key_norms);
    int32("seqId", dynsplitSeqId);
    if (options.Has("layers") && options.Get("layers").IsArray()) {
        p.layers.clear();
        const auto layers = options.Get("layers").As<Napi::Array>();
        for (uint32_t i = 0; i < layers.Length(); i++) {
            const int32_t il = layers.Get(i).As<Napi::Number>().Int32Value();
            if (il < 0) continue;
            if ((int32_t) p.layers.size() <= il) p.layers.resize(il + 1, false);
            p.layers[il] = true;
        }
    }
    llama_dynsplit_set_params(ctx, p, dynsplitSeqId);
    return info.Env().Undefined();
}

Napi::Value AddonContext::DynsplitProbeReset(const Napi::CallbackInfo & info) {
    if (ctx != nullptr) llama_dynsplit_reset(ctx);
    return info.Env().Undefined();
}

template <typename T> static Napi::Float64Array dynsplitFloat64(Napi::Env env, const std::vector<T> & v) {
    auto arr = Napi::Float64Array::New(env, v.size());
    for (size_t i = 0; i < v.size(); i++) arr[i] = (double) v[i];
    return arr;
}

Napi::Value AddonContext::DynsplitProbeRead(const Napi::CallbackInfo & info) {
    const auto env = info.Env();
    if (ctx == nullptr) {
        Napi::Error::New(env, "the context is disposed").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    llama_dynsplit_state * st = llama_dynsplit_get_state(ctx);
    std::lock_guard<std::mutex> lock(st->mutex);
    auto res = Napi::Object::New(env);
    // sums over selected layers, heads and rows, indexed by token position (see kernels/README.md)
    res.Set("obsMassByPos", dynsplitFloat64(env, st->obs_mass));
    res.Set("localByPos", dynsplitFloat64(env, st->local_mass));
    res.Set("distantByPos", dynsplitFloat64(env, st->distant_mass));
    res.Set("sinkByPos", dynsplitFloat64(env, st->sink_mass));
    auto rows = Napi::Int32Array::New(env, st->query_rows.size());
    for (size_t i = 0; i < st->query_rows.size(); i++) rows[i] = st->query_rows[i];
    res.Set("queryRowsByPos", rows);
    res.Set("keyNormByPos", dynsplitFloat64(env, st->key_norm));
    auto normCounts = Napi::Int32Array::New(env, st->key_norm_count.size());
    for (size_t i = 0; i < st->key_norm_count.size(); i++) normCounts[i] = st->key_norm_count[i];
    res.Set("keyNormCountByPos", normCounts);
    res.Set("obsDistributions", Napi::Number::New(env, (double) st->obs_distributions));
    res.Set("calls", Napi::Number::New(env, (double) st->ubatches));
    res.Set("skipped", Napi::Number::New(env, (double) st->skipped));
    res.Set("probeMs", Napi::Number::New(env, st->readback_ms));
    res.Set("nHead", Napi::Number::New(env, st->n_head));
    res.Set("lastNKv", Napi::Number::New(env, st->last_n_kv));
    auto layers = Napi::Array::New(env, st->layers_seen.size());
    for (size_t i = 0; i < st->layers_seen.size(); i++) layers.Set((uint32_t) i, Napi::Number::New(env, st->layers_seen[i]));
    res.Set("layersSeen", layers);
    res.Set("path", Napi::String::New(env, "graph"));
    auto queries = Napi::Array::New(env, st->queries.size());
    for (size_t i = 0; i < st->queries.size(); i++) {
        const auto & lq = st->queries[i];
        auto o = Napi::Object::New(env);
        o.Set("layer", Napi::Number::New(env, lq.layer));
        o.Set("nHead", Napi::Number::New(env, lq.n_head));
        o.Set("headDim", Napi::Number::New(env, lq.head_dim));
        auto data = Napi::Float32Array::New(env, lq.data.size());
        std::memcpy(data.Data(), lq.data.data(), lq.data.size() * sizeof(float));
        o.Set("data", data);
        auto positions = Napi::Int32Array::New(env, lq.positions.size());
        std::memcpy(positions.Data(), lq.positions.data(), lq.positions.size() * sizeof(int32_t));
        o.Set("positions", positions);
        queries.Set((uint32_t) i, o);
    }
    res.Set("queries", queries);
    res.Set("version", Napi::String::New(env, DYNSPLIT_HOOK_VERSION));
    return res;
}
