import assert from "node:assert/strict";
import {mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {test} from "node:test";
import {generateCase} from "../../src/corpus";
import {EngineClient, EngineCrashedError, EngineRequestError} from "../../src/engine/worker/engineClient";
import {ROOT, writeWorkspace} from "../helpers/engineFixtures";

function client() {
  return new EngineClient(path.join(ROOT, "dist/worker.mjs"), {
    packageRoot: ROOT,
    cacheDir: mkdtempSync(path.join(os.tmpdir(), "dynsplit-wcache-")),
    threads: 1,
    probe: "off",
    gpuLayers: "off",
  });
}

test("a corrupt, truncated or missing model is a clear error and the worker lives on", {timeout: 60_000}, async () => {
  const c = client();
  try {
    const tmp = mkdtempSync(path.join(os.tmpdir(), "dynsplit-bad-"));
    const garbage = path.join(tmp, "garbage.gguf");
    writeFileSync(garbage, Buffer.from("this is not a model at all".repeat(100)));
    const card = JSON.parse(readFileSync(path.join(ROOT, "models/card.json"), "utf8"));
    const truncated = path.join(tmp, "truncated.gguf");
    writeFileSync(truncated, readFileSync(path.join(ROOT, "models", card.model)).subarray(0, 2000));
    for (const [file, pattern] of [
      [garbage, /not a usable GGUF model/],
      [truncated, /not a usable GGUF model.*truncated/],
      [path.join(tmp, "missing.gguf"), /model file not found/],
    ] as const) {
      await assert.rejects(c.request("loadModel", {model: file}), (err: Error) => {
        assert.ok(err instanceof EngineRequestError, "reported by the worker, not a crash");
        assert.match(err.message, pattern);
        return true;
      });
    }
    const status = await c.request("status", {});
    assert.equal(status.pid, c.pid, "the same worker still answers");
  } finally {
    await c.stop();
  }
});

test("streams, cancels, survives a killed child and restores model and workspace after restart", {timeout: 180_000}, async () => {
  const c = client();
  try {
    await c.request("loadModel", {model: "bundled"});
    const k = generateCase(9_400_001, {contextTokens: 800});
    const dir = writeWorkspace(k.files);
    const progress: number[] = [];
    const ingest = await c.request(
      "ingest",
      {roots: [dir], budget: {ratio: 0.5}, signal: "keyNorm"},
      {onProgress: (p) => progress.push(p.tokensRead)}
    );
    assert.ok(progress.length > 0 && progress[progress.length - 1] === ingest.tokensRead, "progress events arrive");
    let streamed = "";
    const answer = await c.request("ask", {question: k.question}, {onText: (t) => (streamed += t)});
    assert.equal(streamed.trim(), answer.answer, "the answer streams as text events");

    // Cancel a long ingestion after its first progress event.
    const big = writeWorkspace(generateCase(9_400_002, {contextTokens: 8000}).files);
    const controller = new AbortController();
    await assert.rejects(
      c.request(
        "ingest",
        {roots: [big], budget: {tokens: 512}, signal: "keyNorm", useCache: false},
        {signal: controller.signal, onProgress: () => controller.abort()}
      ),
      (err: Error) => err.name === "CancelledError"
    );

    // Reload the small workspace, then kill the worker as a native crash would.
    await c.request("ingest", {roots: [dir], budget: {ratio: 0.5}, signal: "keyNorm"});
    const crashed = new Promise<EngineCrashedError>((resolve) => c.once("crash", resolve));
    const oldPid = c.pid;
    const pending = c.request("ask", {question: k.question});
    process.kill(oldPid!, "SIGKILL");
    const err = await crashed;
    assert.ok(err instanceof EngineCrashedError);
    await assert.rejects(pending, EngineCrashedError, "the request in flight fails with a clear error");

    await c.restart();
    assert.notEqual(c.pid, oldPid);
    const status = await c.request("status", {});
    assert.ok(status.model, "the model is back");
    assert.ok(status.ingest?.fromCache, "the workspace is back, from the persistent cache");
    assert.equal(status.ingest?.answerFrom, "memory");
    assert.equal(status.ingest?.tokensRead, 0, "restored from the block store without reading a file");
    const again = await c.request("ask", {question: k.question});
    assert.equal(again.answer, answer.answer, "and answers as before");

    // Settings that live in the worker (threads) apply through a restart with a new config.
    const {config} = await c.request("status", {});
    const threads = (config.threads ?? 1) + 1;
    await c.restart({...config, threads});
    assert.equal((await c.request("status", {})).config.threads, threads, "the new worker runs with the new thread count");
    assert.equal((await c.request("ask", {question: k.question})).answer, answer.answer, "and still answers");
  } finally {
    await c.stop();
  }
});
