import assert from "node:assert/strict";
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {after, test} from "node:test";
import type {LlamaModel} from "node-llama-cpp";
import {float16BitsToFloat32, float32ToFloat16Bits} from "../../src/engine/gguf/float16";
import {readGgufHeader, validateGgufFile} from "../../src/engine/gguf/ggufHeader";
import {GgufValueType, gguf} from "../../src/engine/gguf/ggufTypes";
import {encodeGguf, writeGguf} from "../../src/engine/gguf/ggufWriter";
import {buildCodeVocabulary} from "../../src/model/codeVocab";
import {type LlamaHyperparameters, llamaGgufInput, randomLlamaWeights} from "../../src/model/llamaGguf";
import {llamaHyperparametersOf} from "../../src/model/ggufTensors";
import {getCpuLlama} from "../../src/model/loadLlamaRuntime";

const dir = mkdtempSync(join(tmpdir(), "gguf-test-"));
after(() => rmSync(dir, {recursive: true, force: true}));

const hparams: LlamaHyperparameters = {
  nLayer: 2,
  nEmbd: 32,
  nHead: 4,
  nHeadKv: 2,
  nFf: 64,
  contextLength: 512,
  rmsEps: 1e-5,
  ropeFreqBase: 10000,
};
const vocab = buildCodeVocabulary();
const modelInput = (f16 = true) =>
  llamaGgufInput({name: "random", hparams, vocab, weights: randomLlamaWeights(hparams, vocab.tokens.length, 7), f16});

/** Same model with some metadata keys removed. */
function withoutKeys(...keys: string[]) {
  const input = modelInput();
  for (const k of keys) delete input.metadata[k];
  return input;
}

test("f16 conversion round-trips representable values and rounds to nearest", () => {
  for (const v of [0, 1, -2, 0.5, 65504, 6.103515625e-5, 5.960464477539063e-8])
    assert.equal(float16BitsToFloat32(float32ToFloat16Bits(v)), v);
  assert.equal(float16BitsToFloat32(float32ToFloat16Bits(1 + 1 / 4096)), 1); // tie -> even
  assert.equal(float32ToFloat16Bits(1e6), 0x7c00); // overflow -> inf
});

test("metadata of every GGUF value type round-trips through the header reader", async () => {
  const path = join(dir, "meta.gguf");
  await writeGguf(path, {
    metadata: {
      "general.architecture": "custom",
      u8: gguf.u8(255),
      i8: gguf.i8(-5),
      u16: gguf.u16(65535),
      i16: gguf.i16(-300),
      u32: gguf.u32(4_000_000_000),
      i32: gguf.i32(-7),
      u64: gguf.u64(2n ** 60n),
      i64: gguf.i64(-123456789012),
      f32: gguf.f32(0.25),
      f64: gguf.f64(Math.PI),
      flag: true,
      name: "héllo",
      strings: ["a", "▁b", ""],
      floats: gguf.array("f32", [1.5, -2]),
      ints: gguf.array("i32", [1, -2, 3]),
      bools: gguf.array("bool", [true, false]),
    },
    tensors: [{name: "t", shape: [3, 2], type: "f32", data: [1, 2, 3, 4, 5, 6]}],
  });
  const info = await readGgufHeader(path);
  const md = info.metadata;
  assert.equal(info.version, 3);
  assert.deepEqual(
    [md.get("u8"), md.get("i8"), md.get("u16"), md.get("i16"), md.get("u32"), md.get("i32")],
    [255, -5, 65535, -300, 4_000_000_000, -7]
  );
  assert.equal(md.get("u64"), 2n ** 60n);
  assert.equal(md.get("i64"), -123456789012);
  assert.equal(md.get("f32"), 0.25);
  assert.equal(md.get("f64"), Math.PI);
  assert.equal(md.get("flag"), true);
  assert.equal(md.get("name"), "héllo");
  assert.deepEqual(md.get("strings"), ["a", "▁b", ""]);
  assert.deepEqual(md.get("floats"), [1.5, -2]);
  assert.deepEqual(md.get("ints"), [1, -2, 3]);
  assert.deepEqual(md.get("bools"), [true, false]);
  assert.equal(info.metadataTypes.get("u32"), GgufValueType.UINT32);
  assert.deepEqual(info.tensors[0], {name: "t", shape: [3, 2], ggmlType: 0, offset: 0});
  const raw = readFileSync(path);
  assert.deepEqual(
    [...new Float32Array(raw.buffer.slice(raw.byteOffset + info.dataOffset, raw.byteOffset + info.dataOffset + 24))],
    [1, 2, 3, 4, 5, 6]
  );
  // A non-llama architecture is allowed: only generic checks apply.
  assert.equal((await validateGgufFile(path)).ok, true);
});

test("writer rejects untyped numbers, bad shapes and wrong data sizes", () => {
  assert.throws(() => encodeGguf({metadata: {n: 5 as never}, tensors: []}), /explicit type/);
  assert.throws(() => encodeGguf({metadata: {}, tensors: [{name: "t", shape: [2, 0], type: "f32", data: []}]}), /shape/);
  assert.throws(() => encodeGguf({metadata: {}, tensors: [{name: "t", shape: [2, 2], type: "f32", data: [1]}]}), /values for shape/);
  assert.throws(() => encodeGguf({metadata: {x: gguf.u8(300)}, tensors: []}), /not a valid u8/);
});

/** The first `n` greedy tokens a loaded model writes after a short prompt. */
async function greedyTokens(model: LlamaModel, n: number): Promise<number[]> {
  const context = await model.createContext({contextSize: 256, threads: 1});
  const out: number[] = [];
  const prompt = [model.tokens.bos!, ...model.tokenize("const max_retry = 930;")];
  for await (const t of context.getSequence().evaluate(prompt, {temperature: 0})) {
    out.push(t);
    if (out.length >= n) break;
  }
  await context.dispose();
  return out;
}

test("random-weight llama model: validates, loads in node-llama-cpp and generates", async () => {
  for (const f16 of [true, false]) {
    const path = join(dir, `random-${f16 ? "f16" : "f32"}.gguf`);
    await writeGguf(path, modelInput(f16));
    const v = await validateGgufFile(path);
    assert.ok(v.ok, v.ok ? "" : v.error);
    assert.equal(v.info.architecture, "llama");
    assert.equal(v.info.tensors.length, 1 + 9 * hparams.nLayer + 2);
    const llama = await getCpuLlama();
    const model = await llama.loadModel({modelPath: path});
    assert.equal(model.tokens.bos, 1);
    assert.equal(model.tokens.eos, 2);
    assert.equal((await greedyTokens(model, 4)).length, 4);
    await model.dispose();
  }
});

test("llama heads wider than nEmbd / nHead: key_length and value_length written, read back, and loaded by llama.cpp", async () => {
  const wide: LlamaHyperparameters = {...hparams, headDim: 16}; // 4 heads x 16 = 64 > nEmbd 32
  const input = llamaGgufInput({name: "wide", hparams: wide, vocab, weights: randomLlamaWeights(wide, vocab.tokens.length, 3)});
  assert.equal(input.tensors.find((t) => t.name === "blk.0.attn_q.weight")?.shape.join("x"), "32x64");
  assert.equal(input.tensors.find((t) => t.name === "blk.0.attn_output.weight")?.shape.join("x"), "64x32");
  assert.equal(input.tensors.find((t) => t.name === "blk.0.attn_k.weight")?.shape.join("x"), "32x32"); // 2 kv heads x 16
  const path = join(dir, "wide.gguf");
  await writeGguf(path, input);
  const info = await readGgufHeader(path);
  assert.equal(llamaHyperparametersOf(info).headDim, 16);
  await writeGguf(join(dir, "narrow.gguf"), modelInput());
  assert.equal(llamaHyperparametersOf(await readGgufHeader(join(dir, "narrow.gguf"))).headDim, undefined); // no key_length
  const llama = await getCpuLlama();
  const model = await llama.loadModel({modelPath: path});
  assert.equal((await greedyTokens(model, 2)).length, 2);
  await model.dispose();
});

test("validator gives clear errors for broken files (which are never handed to llama.cpp)", async () => {
  const good = join(dir, "good.gguf");
  await writeGguf(good, modelInput());
  const bytes = readFileSync(good);
  const cases: [string, () => Promise<void> | void, RegExp][] = [
    ["missing.gguf", () => {}, /not a file: .* does not exist/],
    ["a-directory", () => writeFileSync(join(dir, "tmp"), ""), /not a file/],
    [
      "bad-magic.gguf",
      () => writeFileSync(join(dir, "bad-magic.gguf"), Buffer.concat([Buffer.from("GGML"), bytes.subarray(4)])),
      /not a GGUF file: bad magic/,
    ],
    ["tiny.gguf", () => writeFileSync(join(dir, "tiny.gguf"), bytes.subarray(0, 6)), /truncated/],
    ["header-cut.gguf", () => writeFileSync(join(dir, "header-cut.gguf"), bytes.subarray(0, 5000)), /truncated/],
    ["data-cut.gguf", () => writeFileSync(join(dir, "data-cut.gguf"), bytes.subarray(0, bytes.length - 100)), /truncated: tensor/],
    [
      "version.gguf",
      () => {
        const b = Buffer.from(bytes);
        b.writeUInt32LE(99, 4);
        writeFileSync(join(dir, "version.gguf"), b);
      },
      /unsupported GGUF version 99/,
    ],
    [
      "no-ffn.gguf",
      () => writeGguf(join(dir, "no-ffn.gguf"), withoutKeys("llama.feed_forward_length")).then(() => {}),
      /missing required key "llama.feed_forward_length"/,
    ],
    [
      "no-heads.gguf",
      () => writeGguf(join(dir, "no-heads.gguf"), withoutKeys("llama.attention.head_count")).then(() => {}),
      /missing required key "llama.attention.head_count"/,
    ],
    [
      "no-arch.gguf",
      () => writeGguf(join(dir, "no-arch.gguf"), withoutKeys("general.architecture")).then(() => {}),
      /missing required key "general.architecture"/,
    ],
    [
      "no-tokens.gguf",
      () =>
        writeGguf(
          join(dir, "no-tokens.gguf"),
          withoutKeys("tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type")
        ).then(() => {}),
      /tokenizer.ggml.tokens/,
    ],
  ];
  rmSync(join(dir, "a-directory"), {force: true, recursive: true});
  const {mkdirSync} = await import("node:fs");
  mkdirSync(join(dir, "a-directory"));
  for (const [name, make, expected] of cases) {
    await make();
    const v = await validateGgufFile(join(dir, name));
    assert.equal(v.ok, false, `${name} should be rejected`);
    if (!v.ok) assert.match(v.error, expected, `${name}: ${v.error}`);
  }
  const zero = withoutKeys();
  zero.metadata["llama.attention.head_count"] = gguf.u32(0);
  await writeGguf(join(dir, "zero-heads.gguf"), zero);
  const v = await validateGgufFile(join(dir, "zero-heads.gguf"));
  assert.ok(!v.ok && /head_count" must be a positive integer/.test(v.error));
});
