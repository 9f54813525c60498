// DynSplit-KV attention-probe reductions on the GPU (see kernels/README.md).
//
// Input: a softmaxed attention tensor as ggml lays out `kq_soft_max-<il>`: ne = [n_kv, n_tokens, n_head]
// (n_kv contiguous), i.e. P[h][t][j] at P + (h * n_tokens + t) * n_kv + j. Column j is KV cell j; cellPos[j]
// is its sequence position (-1 for an empty cell or another sequence's cell).
//
// Two reductions, so whole attention matrices never leave the device:
//   1. dynsplit_obs_colsum:      colsum[j] += Σ_h Σ_{t ≥ n_tokens − w} P[h][t][j]   (attention mass received)
//   2. dynsplit_local_distant:   per query row t, Σ_h of the mass on keys with pos in (qpos − r, qpos] (local),
//                                 on keys with sinkTokens ≤ pos ≤ qpos − r (distant), on pos < sinkTokens (sink);
//                                 qpos = max cellPos over the cells the row attends to (causal attention).
// Not wired into the ggml CUDA backend yet, and COMPILED ONLY (`npm run build:cuda`): no GPU was available.

#include <cuda_runtime.h>
#include <stdint.h>

// One thread per KV cell: coalesced reads along j, a plain loop over heads and observation rows.
extern "C" __global__ void dynsplit_obs_colsum(
    const float * __restrict__ P, int n_kv, int n_tokens, int n_head, int w, float * __restrict__ colsum) {
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= n_kv) return;
    const int first = w > 0 && w < n_tokens ? n_tokens - w : 0;
    float acc = 0.0f;
    for (int h = 0; h < n_head; h++) {
        const float * base = P + ((size_t)h * n_tokens) * n_kv + j;
        for (int t = first; t < n_tokens; t++) acc += base[(size_t)t * n_kv];
    }
    colsum[j] += acc;
}

template <typename T, typename Op>
__device__ T dynsplit_block_reduce(T v, T * shared, Op op, T identity) {
    for (int offset = warpSize / 2; offset > 0; offset /= 2) v = op(v, __shfl_down_sync(0xffffffffu, v, offset));
    const int lane = threadIdx.x % warpSize, warp = threadIdx.x / warpSize;
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    const int n_warps = (blockDim.x + warpSize - 1) / warpSize;
    v = threadIdx.x < n_warps ? shared[threadIdx.x] : identity;
    if (warp == 0)
        for (int offset = warpSize / 2; offset > 0; offset /= 2) v = op(v, __shfl_down_sync(0xffffffffu, v, offset));
    __syncthreads();
    return v; // valid in thread 0
}

struct DynsplitMax { __device__ int operator()(int a, int b) const { return a > b ? a : b; } };
struct DynsplitSum { __device__ float operator()(float a, float b) const { return a + b; } };

// One block per (row t, head h): grid = (n_tokens, n_head). Outputs are summed over heads with atomics.
extern "C" __global__ void dynsplit_local_distant(
    const float * __restrict__ P, const int32_t * __restrict__ cellPos, int n_kv, int n_tokens,
    int r, int sink_tokens, float * __restrict__ local, float * __restrict__ distant, float * __restrict__ sink,
    int32_t * __restrict__ query_pos) {
    __shared__ int shared_i[32];
    __shared__ float shared_f[32];
    __shared__ int qpos_shared;
    const int t = blockIdx.x, h = blockIdx.y;
    const float * row = P + ((size_t)h * n_tokens + t) * n_kv;

    int qpos = -1;
    for (int j = threadIdx.x; j < n_kv; j += blockDim.x)
        if (row[j] > 0.0f && cellPos[j] > qpos) qpos = cellPos[j];
    qpos = dynsplit_block_reduce(qpos, shared_i, DynsplitMax(), -1);
    if (threadIdx.x == 0) qpos_shared = qpos;
    __syncthreads();
    qpos = qpos_shared;
    if (qpos < 0) return;

    float l = 0.0f, d = 0.0f, s = 0.0f;
    for (int j = threadIdx.x; j < n_kv; j += blockDim.x) {
        const int pos = cellPos[j];
        const float p = row[j];
        if (pos < 0 || p == 0.0f) continue;
        if (pos > qpos - r) l += p;
        else if (pos < sink_tokens) s += p;
        else d += p;
    }
    l = dynsplit_block_reduce(l, shared_f, DynsplitSum(), 0.0f);
    d = dynsplit_block_reduce(d, shared_f, DynsplitSum(), 0.0f);
    s = dynsplit_block_reduce(s, shared_f, DynsplitSum(), 0.0f);
    if (threadIdx.x == 0) {
        atomicAdd(local + t, l);
        atomicAdd(distant + t, d);
        atomicAdd(sink + t, s);
        if (h == 0) query_pos[t] = qpos;
    }
}

// Host-side launchers (stream-ordered; no synchronisation, no copies of P).
extern "C" cudaError_t dynsplit_launch_obs_colsum(
    const float * P, int n_kv, int n_tokens, int n_head, int w, float * colsum, cudaStream_t stream) {
    const int threads = 256;
    dynsplit_obs_colsum<<<(n_kv + threads - 1) / threads, threads, 0, stream>>>(P, n_kv, n_tokens, n_head, w, colsum);
    return cudaGetLastError();
}

extern "C" cudaError_t dynsplit_launch_local_distant(
    const float * P, const int32_t * cellPos, int n_kv, int n_tokens, int n_head, int r, int sink_tokens,
    float * local, float * distant, float * sink, int32_t * query_pos, cudaStream_t stream) {
    dim3 grid(n_tokens, n_head);
    dynsplit_local_distant<<<grid, 256, 0, stream>>>(P, cellPos, n_kv, n_tokens, r, sink_tokens, local, distant, sink, query_pos);
    return cudaGetLastError();
}
