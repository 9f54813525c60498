#!/usr/bin/env bash
# The KV hook on a non-CPU ggml backend without a GPU: Mesa's lavapipe (a software Vulkan device) with every layer
# offloaded, so the KV cache and the hook's operations live in Vulkan buffers and the read-back goes through the
# backend API, as on a GPU. It checks mechanics and precision, not speed (lavapipe is slower than the CPU backend).
#
#   scripts/device/vulkan-software-check.sh        (needs: apt-get install mesa-vulkan-drivers; the CPU hook build)
#
# Debian 12's glslc cannot compile this llama.cpp's Vulkan shaders (cooperative-matrix shaders), so instead of
# `npm run build:kernels -- --gpu vulkan` it assembles a Vulkan hook build from the CPU hook build plus the Vulkan
# backend library of node-llama-cpp's own prebuilt package (the same llama.cpp release, loaded by ggml's backend
# registry), runs test/integration/attentionProbe.test.ts on it, and removes the assembled build again.
set -euo pipefail
cd "$(dirname "$0")/../.."
builds=node_modules/node-llama-cpp/llama/localBuilds
cpu=$(for d in "$builds"/*/; do grep -q '"DYNSPLIT_HOOK":"ON"' "$d/Release/_nlcBuildMetadata.json" 2>/dev/null && grep -q '"gpu":false' "$d/Release/_nlcBuildMetadata.json" && echo "$d"; done | head -1)
[ -n "$cpu" ] || { echo "no CPU hook build: run npm run build:kernels first"; exit 1; }
vk_lib=$(ls node_modules/@node-llama-cpp/linux-x64-vulkan/bins/*/libggml-vulkan.so)
# node-llama-cpp's folder name for gpu "vulkan" with our options; the loader computes the same one
name=$(node --input-type=module -e '
  import {getLlama} from "node-llama-cpp";
  try { await getLlama({gpu: "vulkan", build: "never", usePrebuiltBinaries: false, cmakeOptions: {DYNSPLIT_HOOK: "ON"}, progressLogs: false}); }
  catch (e) { const m = /localBuilds\/([^/"\s]+)/.exec(String(e?.message)); console.log(m ? m[1] : ""); }' 2>/dev/null || true)
[ -n "$name" ] || name="linux-x64-vulkan-n214255r2e5l202d1m6r441v6a161s12421t60"
dir="$builds/$name"
trap 'rm -rf "$dir"' EXIT
rm -rf "$dir" && mkdir -p "$dir/Release"
cp "$cpu"/Release/* "$dir/Release/" && cp "$vk_lib" "$dir/Release/" && touch "$dir/buildDone.status"
node -e 'const f=process.argv[1];const m=JSON.parse(require("fs").readFileSync(f));m.buildOptions.gpu="vulkan";m.buildOptions.customCmakeOptions={DYNSPLIT_HOOK:"ON"};require("fs").writeFileSync(f,JSON.stringify(m))' "$dir/Release/_nlcBuildMetadata.json"
vulkaninfo --summary 2>/dev/null | grep -E "deviceName|driverName" || true
# ggml's Vulkan backend skips CPU-type devices unless they are named
DYNSPLIT_TEST_GPU=auto GGML_VK_VISIBLE_DEVICES=0 node --import tsx --test --test-reporter=spec test/integration/attentionProbe.test.ts
