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

const workspace = writeWorkspace({
  "src/calc.py": "def add(a, b):\n    return a + b\n",
  "src/io.py": "def read(path):\n    return open(path).read()\n",
});
const question = "What does add return?";

async function turn(modelFile: string, answerFrom: "memory" | "once", maxTokens = 6) {
  const engine = new Engine({
    packageRoot: ROOT,
    cacheDir: mkdtempSync(path.join(os.tmpdir(), "dynsplit-chat-")),
    threads: 1,
    probe: "off",
    gpuLayers: "off",
  });
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

test(
  "ChatML (Qwen2 tokenizer, add_bos off): the template's turns around the workspace and the question, no BOS",
  {timeout: 180_000},
  async () => {
    const file = await archModelFile("qwen2", "qwen2");
    for (const answerFrom of ["memory", "once"] as const) {
      const {info, prompt} = await turn(file, answerFrom);
      assert.equal(info.format, "chat:ChatML");
      assert.ok(
        prompt.startsWith("<|im_start|>system\n"),
        `${answerFrom}: starts with the system turn, not BOS: ${JSON.stringify(prompt.slice(0, 40))}`
      );
      assert.equal(count(prompt, "<|endoftext|>"), 0, "Qwen's BOS text never appears");
      assert.match(
        prompt,
        /<\|im_end\|>\n<\|im_start\|>user\n[\s\S]*\/\/ File: src\/calc\.py\ndef add/,
        "the files sit inside the user turn"
      );
      assert.ok(
        prompt.endsWith(`${question}<|im_end|>\n<|im_start|>assistant\n`),
        `${answerFrom}: ends with the assistant's opening: ${JSON.stringify(prompt.slice(-80))}`
      );
    }
  }
);

test(
  "a GGUF Jinja template (Phi-3, add_bos on) renders through Jinja with one BOS; a model without a template keeps the plain layout",
  {timeout: 180_000},
  async () => {
    const phi = await turn(await archModelFile("phi3", "phi-3"), "memory");
    assert.equal(phi.info.format, "chat:JinjaTemplate");
    assert.ok(phi.prompt.startsWith("<s>"), JSON.stringify(phi.prompt.slice(0, 20)));
    assert.equal(count(phi.prompt, "<s>"), 1, "BOS exactly once");
    assert.ok(phi.prompt.includes("<|user|>") && phi.prompt.trimEnd().endsWith("<|assistant|>"), JSON.stringify(phi.prompt.slice(-60)));
    const plain = await turn(await archModelFile("llama", "llama-bpe"), "memory");
    assert.equal(plain.info.format, "plain");
    assert.ok(plain.prompt.startsWith("<|begin_of_text|>The following are files"), JSON.stringify(plain.prompt.slice(0, 40)));
    assert.equal(count(plain.prompt, "<|begin_of_text|>"), 1);
  }
);

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
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, "bin/dynsplit.mjs"),
      "ask",
      workspace,
      question,
      "--model",
      file,
      "--json",
      "--show-prompt",
      "--no-cache",
      "--budget-tokens",
      "512",
      "--answer-tokens",
      "4",
      "--probe",
      "off",
      "--threads",
      "1",
    ],
    {
      encoding: "utf8",
      env: {...process.env, DYNSPLIT_CACHE_DIR: mkdtempSync(path.join(os.tmpdir(), "dynsplit-chat-cli-"))},
    }
  );
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

test(
  "a conversation: turn 2 sees turn 1's question and answer in the template, independent questions do not, the oldest turns leave at half the budget",
  {timeout: 300_000},
  async () => {
    const file = await archModelFile("qwen2", "qwen2", {favourToken: "Hello"}); // every answer is "Hello" × maxTokens
    for (const answerFrom of ["memory", "once"] as const) {
      const engine = new Engine({
        packageRoot: ROOT,
        cacheDir: mkdtempSync(path.join(os.tmpdir(), "dynsplit-conv-")),
        threads: 1,
        probe: "off",
        gpuLayers: "off",
      });
      try {
        await engine.loadModel(file);
        await engine.ingest({roots: [workspace], budget: {tokens: 512}, answerFrom, useCache: false});
        const q1 = "Which function adds two numbers?";
        const q2 = "And where is it used?";
        const t1 = await engine.ask(q1, {maxTokens: 3, conversation: true});
        assert.equal(t1.turn, 1);
        assert.equal(t1.answer, "HelloHelloHello");
        const t2 = await engine.ask(q2, {maxTokens: 3, conversation: true, showPrompt: true});
        assert.equal(t2.turn, 2);
        assert.ok(
          t2.prompt!.includes(
            `${q1}<|im_end|>\n<|im_start|>assistant\nHelloHelloHello<|im_end|>\n<|im_start|>user\n${q2}<|im_end|>\n<|im_start|>assistant\n`
          ),
          `${answerFrom}: turn 1 in the template before turn 2: ${JSON.stringify(t2.prompt!.slice(-200))}`
        );
        assert.ok(t2.prompt!.indexOf("// File: src/calc.py") < t2.prompt!.indexOf(q1), "the workspace opens the conversation");
        const alone = await engine.ask(q2, {maxTokens: 3, showPrompt: true});
        assert.equal(alone.turn, undefined);
        assert.ok(!alone.prompt!.includes(q1), "an independent question sees no earlier turn");
        engine.setConversation([]);
        const fresh = await engine.ask(q2, {maxTokens: 3, conversation: true, showPrompt: true});
        assert.equal(fresh.turn, 1);
        assert.ok(!fresh.prompt!.includes(q1), "a new conversation starts empty");
        // Long questions: the conversation may take half of the 512-token budget, then the oldest turns leave.
        const long = (i: number) => `Question ${i}: ${"explain the whole module and every function in it in detail ".repeat(6).trim()}`;
        let dropped = 0;
        let last;
        for (let i = 0; i < 6; i++) {
          last = await engine.ask(long(i), {maxTokens: 3, conversation: true, showPrompt: true});
          dropped += last.turnsDropped ?? 0;
        }
        assert.ok(dropped > 0, "turns were dropped");
        assert.equal(engine.conversationTurns.length, 7 - dropped);
        assert.ok(!last!.prompt!.includes(long(0)), "the oldest turn left the context");
        assert.ok(last!.prompt!.includes(long(4)), "the latest turn stayed");
      } finally {
        await engine.dispose();
      }
    }
  }
);

test("the worker keeps the conversation across a restart", {timeout: 180_000}, async () => {
  const {EngineClient} = await import("../../src/engine/worker/engineClient");
  const c = new EngineClient(path.join(ROOT, "dist/worker.mjs"), {
    packageRoot: ROOT,
    cacheDir: mkdtempSync(path.join(os.tmpdir(), "dynsplit-conv-w-")),
    threads: 1,
    probe: "off",
    gpuLayers: "off",
  });
  try {
    await c.request("loadModel", {model: await archModelFile("qwen2", "qwen2", {favourToken: "Hello"})});
    await c.request("ingest", {roots: [workspace], budget: {tokens: 512}});
    await c.request("ask", {question: "Which function adds two numbers?", maxTokens: 2, conversation: true});
    const pid = c.pid;
    await c.restart();
    assert.notEqual(c.pid, pid, "a new worker");
    const t2 = await c.request("ask", {question: "And where is it used?", maxTokens: 2, conversation: true, showPrompt: true});
    assert.equal(t2.turn, 2);
    assert.ok(
      t2.prompt!.includes("Which function adds two numbers?<|im_end|>\n<|im_start|>assistant\nHelloHello<|im_end|>"),
      JSON.stringify(t2.prompt!.slice(-160))
    );
  } finally {
    await c.stop();
  }
});

test("dynsplit chat: lines typed on stdin are one conversation, /new starts another, end of input leaves", {timeout: 180_000}, async () => {
  const file = await archModelFile("qwen2", "qwen2", {favourToken: "Hello"});
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, "bin/dynsplit.mjs"),
      "chat",
      workspace,
      "--model",
      file,
      "--no-cache",
      "--budget-tokens",
      "512",
      "--answer-tokens",
      "2",
      "--probe",
      "off",
      "--threads",
      "1",
    ],
    {
      encoding: "utf8",
      input: "Which function adds two numbers?\nAnd where is it used?\n/new\nWhat does read return?\n",
      env: {...process.env, DYNSPLIT_CACHE_DIR: mkdtempSync(path.join(os.tmpdir(), "dynsplit-chat-cli-"))},
    }
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(count(r.stdout, "HelloHello\n"), 3, r.stdout);
  assert.match(r.stdout, /\(a new conversation\)/);
  assert.match(r.stderr, /2 files/, "the workspace summary is printed");
});
