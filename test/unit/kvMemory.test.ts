import assert from "node:assert/strict";
import {test} from "node:test";
import {formatBytes, kvBytes, kvBytesPerToken, kvGeometryFromGguf, kvTypeFromGgmlId} from "../../src/core/kvMemory";

test("bytes per token for known model shapes (F16)", () => {
  // the tiny test model: 2 layers, 2 KV heads × 16
  assert.equal(kvBytesPerToken({nLayer: 2, nHeadKv: 2, headDimK: 16, headDimV: 16, typeK: "F16", typeV: "F16"}), 256);
  // Qwen2.5-0.5B: 24 layers, 2 KV heads × 64 → 12 KiB
  assert.equal(kvBytesPerToken({nLayer: 24, nHeadKv: 2, headDimK: 64, headDimV: 64, typeK: "F16", typeV: "F16"}), 12 * 1024);
  // Llama-3.2-1B: 16 layers, 8 × 64 → 32 KiB; Qwen2.5-7B: 28 × 4 × 128 → 56 KiB
  assert.equal(kvBytesPerToken({nLayer: 16, nHeadKv: 8, headDimK: 64, headDimV: 64, typeK: "F16", typeV: "F16"}), 32 * 1024);
  assert.equal(kvBytesPerToken({nLayer: 28, nHeadKv: 4, headDimK: 128, headDimV: 128, typeK: "F16", typeV: "F16"}), 56 * 1024);
});

test("other KV types: F32, BF16, Q8_0, Q4_0 and mixed K/V", () => {
  const g = {nLayer: 1, nHeadKv: 1, headDimK: 32, headDimV: 32};
  assert.equal(kvBytesPerToken({...g, typeK: "F32", typeV: "F32"}), 256);
  assert.equal(kvBytesPerToken({...g, typeK: "BF16", typeV: "BF16"}), 128);
  assert.equal(kvBytesPerToken({...g, typeK: "Q8_0", typeV: "Q8_0"}), 68);
  assert.equal(kvBytesPerToken({...g, typeK: "Q4_0", typeV: "Q4_0"}), 36);
  assert.equal(kvBytesPerToken({...g, typeK: "Q8_0", typeV: "F16"}), 34 + 64);
  assert.equal(kvBytes({...g, typeK: "Q4_0", typeV: "Q4_0"}, 1000), 36000);
  assert.equal(kvTypeFromGgmlId(8), "Q8_0");
  assert.throws(() => kvTypeFromGgmlId(99), /unsupported/);
});

test("geometry from GGUF metadata, including per-layer KV head arrays and defaults", () => {
  const g = kvGeometryFromGguf({
    general: {architecture: "llama"},
    llama: {block_count: 2, embedding_length: 64, attention: {head_count: 4, head_count_kv: 2}},
  });
  assert.deepEqual(g, {nLayer: 2, nHeadKv: 2, headDimK: 16, headDimV: 16, typeK: "F16", typeV: "F16"});
  const h = kvGeometryFromGguf({
    general: {architecture: "x"},
    x: {block_count: 3, embedding_length: 64, attention: {head_count: 4, head_count_kv: [2, 0, 2], key_length: 32, value_length: 16}},
  });
  assert.equal(kvBytesPerToken(h), 4 * (32 * 2 + 16 * 2));
  assert.throws(() => kvGeometryFromGguf({general: {}}), /no architecture/);
});

test("formatBytes", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(12 * 1024), "12.0 KiB");
  assert.equal(formatBytes(96 * 1024 * 1024), "96.0 MiB");
});
