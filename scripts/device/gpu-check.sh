#!/usr/bin/env bash
# One prepared check of the KV hook on a machine with an NVIDIA GPU and no network (issue "GPU-backed KV hook"),
# under 8 minutes (its steps are capped at 270 + 80 + 100 s): build (or take a carried build of) the CUDA hook variant, run the hook's reference tests with
# every layer offloaded, then `bench:probe` with offload on, and write the figures to one file.
#
#   scripts/device/gpu-check.sh [out-dir]      (default: $OUT when set, else docs/results)
#
# Needs node_modules (npm ci) and the CUDA toolkit. A CUDA hook build already under
# node_modules/node-llama-cpp/llama/localBuilds (carried from a previous run) is reused.
# CUDAARCHS limits the build to the GPU at hand (default: native).
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${1:-${OUT:-docs/results}}"
mkdir -p "$out"
log="$out/gpu-check.log"
started=$(date +%s)
say() { echo "[gpu-check $(( $(date +%s) - started ))s] $*" | tee -a "$log"; }

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | tee "$out/gpu.txt" | sed 's/^/[gpu] /'
node --version >/dev/null || { say "node is missing"; exit 1; }

if ls -d node_modules/node-llama-cpp/llama/localBuilds/*cuda*/Release/llama-addon.node >/dev/null 2>&1; then
  say "CUDA hook build carried: $(ls -d node_modules/node-llama-cpp/llama/localBuilds/*cuda*)"
else
  say "building the CUDA hook variant (CUDAARCHS=${CUDAARCHS:-native})"
  CUDAARCHS="${CUDAARCHS:-native}" timeout 270 node scripts/build-kernels.mjs --gpu cuda >>"$log" 2>&1 || { say "CUDA build failed or ran out of time: see $log"; }
fi

say "reference tests with every layer offloaded"
DYNSPLIT_TEST_GPU=auto timeout 80 node --import tsx --test --test-reporter=spec test/integration/attentionProbe.test.ts \
  >"$out/gpu-reference-tests.txt" 2>&1
echo "reference tests exit $?" | tee -a "$log"
grep -E "^(✔|✖)|relative error|backend" "$out/gpu-reference-tests.txt" | head -40

say "bench:probe, 16k tokens, offload on"
timeout 100 node --import tsx scripts/benchProbe.ts --gpu auto --tokens 4096,16384 --runs 3 --threads 8 \
  --modes plain,probe-window,probe-dense --json "$out/bench-probe-gpu.json" >"$out/bench-probe-gpu.txt" 2>&1
echo "bench exit $?" | tee -a "$log"
cat "$out/bench-probe-gpu.txt"
say "done; figures in $out (bench-probe-gpu.json, gpu-reference-tests.txt, gpu.txt)"
