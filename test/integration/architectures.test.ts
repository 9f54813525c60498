/**
 * Real architectures with real tokenizers (random weights, built here at test time from llama.cpp's vocabulary
 * GGUFs): each gets its capability verdict at load, the supported and adapted ones run the repository memory and the
 * compressed stream, and a refused one answers with a message while the worker lives on. Random weights answer noise:
 * only mechanics are asserted.
 */
import assert from "node:assert/strict";
import {mkdtempSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {before, test} from "node:test";
import type {CapabilityVerdict} from "../../src/core/modelCapability";
import {realCodeFiles} from "../../src/corpus/realCode";
import {Engine} from "../../src/engine/engine";
import {CancelledError} from "../../src/engine/session/cancelledError";
import {EngineClient, EngineRequestError} from "../../src/engine/worker/engineClient";
import type {TestArchitecture} from "../../src/model/archModels";
import type {RealVocab} from "../../src/model/realVocab";
import {archModelFile} from "../helpers/archModelFiles";
import {ROOT, writeWorkspace} from "../helpers/engineFixtures";

const MODELS: {arch: TestArchitecture; vocab: RealVocab; verdict: CapabilityVerdict; reason?: RegExp}[] = [
  {arch: "llama", vocab: "llama-bpe", verdict: "supported"},
  {arch: "qwen2", vocab: "qwen2", verdict: "supported"},
  {arch: "phi3", vocab: "phi-3", verdict: "supported"},
  {arch: "qwen3", vocab: "qwen2", verdict: "adapted", reason: /QK-norm/},
  {arch: "gemma3", vocab: "gemma-4", verdict: "adapted", reason: /sliding-window.*QK-norm/},
  {arch: "qwen2vl", vocab: "qwen2", verdict: "adapted", reason: /multi-axis RoPE/},
  {arch: "mamba", vocab: "gpt-neox", verdict: "refused", reason: /recurrent state/},
];

const files = new Map<TestArchitecture, string>();
const fileOf = (arch: TestArchitecture) => files.get(arch)!;
const code = realCodeFiles({chars: 12_000, seed: "architectures"});
const workspace = writeWorkspace(code);
const smallWorkspace = writeWorkspace(realCodeFiles({chars: 5_000, seed: "architectures-small"}));

before(async () => {
  for (const m of MODELS) files.set(m.arch, await archModelFile(m.arch, m.vocab));
});

function engineAt(cacheDir = mkdtempSync(path.join(os.tmpdir(), "dynsplit-arch-cache-"))) {
  return new Engine({packageRoot: ROOT, cacheDir, threads: 1, probe: "off", gpuLayers: "off"});
}

for (const m of MODELS.filter((x) => x.verdict !== "refused")) {
  test(
    `${m.arch} (${m.vocab} tokenizer): ${m.verdict} at load; the repository memory reads once, answers, reopens without reading and cancels cleanly; the compressed stream works or says why not`,
    {timeout: 300_000},
    async () => {
      const cacheDir = mkdtempSync(path.join(os.tmpdir(), "dynsplit-arch-cache-"));
      const engine = engineAt(cacheDir);
      try {
        const info = await engine.loadModel(fileOf(m.arch));
        assert.equal(info.architecture, m.arch);
        assert.equal(info.capability, m.verdict, `capability at load: ${info.capabilityReason}`);
        if (m.reason) assert.match(info.capabilityReason, m.reason);
        else assert.equal(info.capabilityReason, "");
        assert.ok(Number.isFinite(info.kvBytesPerToken) && info.kvBytesPerToken > 0, `KV bytes per token ${info.kvBytesPerToken}`);
        const s = await engine.ingest({roots: [workspace], budget: {tokens: 512}});
        assert.equal(s.answerFrom, "memory");
        assert.equal(s.files, Object.keys(code).length);
        assert.ok(s.tokensRead > 1000, `${s.tokensRead} tokens read`);
        assert.equal(
          s.store?.placement,
          info.restoreUnsupported ? "prefill" : "restore",
          `placement (${info.restoreUnsupported ?? "restore available"})`
        );
        for (const q of ["Where is the main entry point defined?", "Which function parses its arguments?"]) {
          const a = await engine.ask(q, {maxTokens: 8});
          assert.equal(typeof a.answer, "string");
          assert.ok(a.tokensKept > 0 && a.tokensKept <= 512, `${a.tokensKept} tokens in the context`);
          assert.ok((a.selection?.length ?? 0) > 0, "blocks were selected");
        }
        const reopen = await engine.ingest({roots: [workspace], budget: {tokens: 512}});
        assert.equal(reopen.tokensRead, 0, "an unchanged workspace reads nothing");

        // A cancelled re-read (another folder) leaves this workspace answering.
        const controller = new AbortController();
        const other = writeWorkspace(realCodeFiles({chars: 30_000, seed: `architectures-other-${m.arch}`}));
        await assert.rejects(
          engine.ingest({roots: [other], budget: {tokens: 512}}, {signal: controller.signal, onProgress: () => controller.abort()}),
          (err: Error) => err instanceof CancelledError
        );
        assert.equal(typeof (await engine.ask("What does it return?", {maxTokens: 4})).answer, "string");

        // The stream on a smaller folder: without key norms it is scored by surprisal, every token's logits over the vocabulary.
        const once = engine.ingest({roots: [smallWorkspace], budget: {tokens: 512}, answerFrom: "once", useCache: false});
        if (m.arch === "qwen2vl") await assert.rejects(once, /M-RoPE.*--answer-from memory/);
        else {
          const o = await once;
          assert.ok(o.tokensKept <= 512 && o.tokensRead > 600, `once kept ${o.tokensKept} of ${o.tokensRead}`);
          if (m.verdict === "adapted") assert.notEqual(o.signal, "keyNorm", "QK-norm and iSWA models are not scored by key norms");
          assert.equal(typeof (await engine.ask("What does it return?", {maxTokens: 4})).answer, "string");
        }
      } finally {
        await engine.dispose();
      }
    }
  );
}

test(
  "a refused architecture (recurrent) is a message for every compressed mode, answers uncompressed, and the worker lives on",
  {timeout: 180_000},
  async () => {
    const c = new EngineClient(path.join(ROOT, "dist/worker.mjs"), {
      packageRoot: ROOT,
      cacheDir: mkdtempSync(path.join(os.tmpdir(), "dynsplit-arch-w-")),
      threads: 1,
      probe: "off",
      gpuLayers: "off",
    });
    try {
      const info = await c.request("loadModel", {model: fileOf("mamba")});
      assert.equal(info.capability, "refused");
      assert.match(info.capabilityReason, MODELS.find((m) => m.arch === "mamba")!.reason!);
      assert.equal(info.kvBytesPerToken, 0, "a recurrent state does not grow with the tokens (measured from llama.cpp's state)");
      for (const answerFrom of ["memory", "once", "reread"] as const) {
        await assert.rejects(c.request("ingest", {roots: [workspace], budget: {tokens: 512}, answerFrom}), (err: Error) => {
          assert.ok(err instanceof EngineRequestError, `${answerFrom}: reported by the worker, not a crash`);
          assert.match(err.message, /recurrent state.*--method full/);
          return true;
        });
      }
      const small = writeWorkspace({"a.py": "def add(a, b):\n    return a + b\n"});
      const full = await c.request("ingest", {roots: [small], budget: {ratio: 1}, answerFrom: "once", method: "full", useCache: false});
      assert.ok(full.tokensKept >= full.tokensRead, "nothing was dropped");
      assert.equal(typeof (await c.request("ask", {question: "What does add return?", maxTokens: 4})).answer, "string");
      const status = await c.request("status", {});
      assert.equal(status.pid, c.pid, "the same worker still answers");
    } finally {
      await c.stop();
    }
  }
);
