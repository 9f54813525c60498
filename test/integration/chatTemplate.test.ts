/**
 * Instruct models get their own chat template (node-llama-cpp's chat wrappers, Jinja where the GGUF carries one),
 * rendered at the token level: special tokens where the template has them, BOS only where the model's add_bos asks
 * for it, generation ending at the template's end of turn. Random weights on real tokenizers: mechanics only.
 */
import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {mkdtempSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {test} from "node:test";
import {Engine} from "../../src/engine/engine";
import {archModelFile} from "../helpers/archModelFiles";
import {ROOT, writeWorkspace} from "../helpers/engineFixtures";

const workspace = writeWorkspace({"src/calc.py": "def add(a, b):\n    return a + b\n", "src/io.py": "def read(path):\n    return open(path).read()\n"});
const question = "What does add return?";

async function turn(modelFile: string, answerFrom: "memory" | "once", maxTokens = 6) {
  const engine = new Engine({packageRoot: ROOT, cacheDir: mkdtempSync(path.join(os.tmpdir(), "dynsplit-chat-")), threads: 1, probe: "off", gpuLayers: "off"});
  try {
    const info = await engine.loadModel(modelFile);
    await engine.ingest({roots: [workspace], budget: {tokens: 512}, answerFrom, useCache: false});
    const a = await engine.ask(question, {maxTokens, showPrompt: true});
    return {info, a, prompt: a.prompt!};
  } finally {
    await engine.dispose();
  }
}

const count = (text: string, piece: string) => text.split(piece).length - 1;

test("ChatML (Qwen2 tokenizer, add_bos off): the template's turns around the workspace and the question, no BOS", {timeout: 180_000}, async () => {
  const file = await archModelFile("qwen2", "qwen2");
  for (const answerFrom of ["memory", "once"] as const) {
    const {info, prompt} = await turn(file, answerFrom);
    assert.equal(info.format, "chat:ChatML");
    assert.ok(prompt.startsWith("<|im_start|>system\n"), `${answerFrom}: starts with the system turn, not BOS: ${JSON.stringify(prompt.slice(0, 40))}`);
    assert.equal(count(prompt, "<|endoftext|>"), 0, "Qwen's BOS text never appears");
    assert.match(prompt, /<\|im_end\|>\n<\|im_start\|>user\n[\s\S]*\/\/ File: src\/calc\.py\ndef add/, "the files sit inside the user turn");
    assert.ok(prompt.endsWith(`${question}<|im_end|>\n<|im_start|>assistant\n`), `${answerFrom}: ends with the assistant's opening: ${JSON.stringify(prompt.slice(-80))}`);
  }
});

test("a GGUF Jinja template (Phi-3, add_bos on) renders through Jinja with one BOS; a model without a template keeps the plain layout", {timeout: 180_000}, async () => {
  const phi = await turn(await archModelFile("phi3", "phi-3"), "memory");
  assert.equal(phi.info.format, "chat:JinjaTemplate");
  assert.ok(phi.prompt.startsWith("<s>"), JSON.stringify(phi.prompt.slice(0, 20)));
  assert.equal(count(phi.prompt, "<s>"), 1, "BOS exactly once");
  assert.ok(phi.prompt.includes("<|user|>") && phi.prompt.trimEnd().endsWith("<|assistant|>"), JSON.stringify(phi.prompt.slice(-60)));
  const plain = await turn(await archModelFile("llama", "llama-bpe"), "memory");
  assert.equal(plain.info.format, "plain");
  assert.ok(plain.prompt.startsWith("<|begin_of_text|>The following are files"), JSON.stringify(plain.prompt.slice(0, 40)));
  assert.equal(count(plain.prompt, "<|begin_of_text|>"), 1);
});

test("generation ends at the template's end of turn, and only there", {timeout: 180_000}, async () => {
  for (const answerFrom of ["memory", "once"] as const) {
    const ends = await turn(await archModelFile("qwen2", "qwen2", {favourToken: "<|im_end|>"}), answerFrom, 6);
    assert.equal(ends.a.stoppedBy, "eos", `${answerFrom}: a model that says <|im_end|> first stops there`);
    assert.equal(ends.a.answerTokens, 0);
    assert.equal(ends.a.answer, "");
    const talks = await turn(await archModelFile("qwen2", "qwen2", {favourToken: "Hello"}), answerFrom, 6);
    assert.equal(talks.a.stoppedBy, "maxTokens", `${answerFrom}: an ordinary token does not end the answer`);
    assert.equal(talks.a.answerTokens, 6);
    assert.equal(talks.a.answer, "Hello".repeat(6));
  }
});

test("dynsplit ask --json --show-prompt reports the format, the capability and the rendered turn", {timeout: 180_000}, async () => {
  const file = await archModelFile("qwen3", "qwen2");
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin/dynsplit.mjs"), "ask", workspace, question, "--model", file, "--json", "--show-prompt", "--no-cache", "--budget-tokens", "512", "--answer-tokens", "4", "--probe", "off", "--threads", "1"], {
    encoding: "utf8",
    env: {...process.env, DYNSPLIT_CACHE_DIR: mkdtempSync(path.join(os.tmpdir(), "dynsplit-chat-cli-"))},
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.architecture, "qwen3");
  assert.equal(out.format, "chat:ChatML");
  assert.equal(out.capability, "adapted");
  assert.match(out.capabilityReason, /QK-norm/);
  assert.match(r.stderr, /qwen3\): adapted/, "the CLI says so on stderr too");
  assert.ok(out.answers[0].prompt.endsWith("<|im_start|>assistant\n"));
  assert.ok(out.answers[0].answerTokens <= 4, `--answer-tokens 4 caps the answer (${out.answers[0].answerTokens})`);
});
