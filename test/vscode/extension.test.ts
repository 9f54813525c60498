/// <reference types="mocha" />
import * as assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import * as path from "node:path";
import * as vscode from "vscode";
import type {DynSplitApi} from "../../src/extension/extension";
import type {KvHookBuildResult} from "../../src/extension/kvHookBuild";
import {readSettings} from "../../src/extension/settings";
import type {ToVisualizer} from "../../src/extension/webviewProtocol";

/** The last message of one kind a webview was sent, narrowed to that kind. */
function lastOf<K extends ToVisualizer["type"]>(
  posted: readonly ToVisualizer[],
  type: K,
  where: (m: Extract<ToVisualizer, {type: K}>) => boolean = () => true
) {
  return posted
    .filter((m): m is Extract<ToVisualizer, {type: K}> => m.type === type)
    .filter(where)
    .pop();
}

const EXTENSION_ID = "dynsplit.dynsplit-chat";
const QUESTION = "Q: retry_limit = ";

async function api(): Promise<DynSplitApi> {
  const ext = vscode.extensions.getExtension<DynSplitApi>(EXTENSION_ID);
  assert.ok(ext, "extension installed");
  return ext.activate();
}

suite("DynSplit Chat in a real extension host", function () {
  this.timeout(180_000);

  suiteSetup(async () => {
    // Small budget so the fixture workspace is really compressed.
    await vscode.workspace.getConfiguration("dynsplit").update("budgetTokens", 1024, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration("dynsplit").update("signal", "keyNorm", vscode.ConfigurationTarget.Global);
  });

  test("Load Workspace into Context reads the fixture workspace into the repository memory through the worker, with honest memory figures", async () => {
    const a = await api();
    await vscode.commands.executeCommand("dynsplit.loadWorkspace");
    const s = a.engine.state;
    assert.equal(s.phase, "ready");
    assert.ok(s.model, "the bundled model is loaded");
    assert.ok(
      s.model.backend === "cpu" ? s.model.gpuLayers === 0 : s.model.gpuLayers > 0,
      `backend ${s.model.backend}, ${s.model.gpuLayers} layers`
    );
    const i = s.ingest!;
    assert.ok(i, "the workspace is loaded");
    assert.equal(i.answerFrom, "memory");
    assert.ok(i.files >= 5, `${i.files} files read`);
    assert.ok(i.tokensRead > 1024 && i.tokensKept === 1024, `${i.tokensKept} of ${i.tokensRead} tokens a question gets`);
    assert.ok(i.store && i.store.bytes > 0 && i.store.blocks > 0, "the block store was written");
    assert.equal(i.memory.kvBytesAllocated, i.memory.contextSize * i.memory.kvBytesPerToken);
    assert.ok(i.memory.kvBytesFullCache > i.memory.kvBytesInUse);
    assert.ok(i.fileMap.some((f) => f.path === "src/http/client.ts" && f.blocks > 0));
    assert.ok(a.engine.workerPid && a.engine.workerPid !== process.pid, "the model runs in a separate process");
    // Loading it again reads no file: everything comes from the store.
    await vscode.commands.executeCommand("dynsplit.loadWorkspace");
    assert.equal(a.engine.state.ingest?.tokensRead, 0, "an unchanged workspace is not read again");
    assert.equal(a.engine.state.ingest?.store?.fromStore, true);
  });

  test("a question in the chat gets the planted answer, streamed, with references that point at the file", async () => {
    const a = await api();
    const before = a.chat.posted.length;
    const entry = await a.ask(QUESTION);
    assert.equal(entry.role, "assistant", entry.text);
    assert.equal(entry.text.trim(), "41");
    const streamed = a.chat.posted.slice(before).filter((m) => m.type === "answerText");
    assert.ok(streamed.length > 0, "the answer was streamed to the view");
    assert.ok(
      entry.references?.some((r) => r.file === "src/http/client.ts" && r.startLine <= 5 && r.endLine >= 5),
      JSON.stringify(entry.references)
    );
    assert.ok(a.chat.entries.length >= 2, "the history holds the question and the answer");
  });

  test("a second question is answered from the store, without re-reading the workspace", async () => {
    const a = await api();
    const entry = await a.ask("Q: page_size = ");
    assert.equal(entry.role, "assistant", entry.text);
    assert.equal(entry.answerFrom, "memory");
    assert.ok(entry.selection && entry.selection.length > 0, "the answer carries the blocks it was given");
    assert.equal(a.engine.state.ingest?.tokensRead, 0, "no re-read between questions");
  });

  test("Show Semantic Blocks shows what the answer selected from the whole repository; a file's blocks come on demand; comparing runs another method", async () => {
    const a = await api();
    await a.ask(QUESTION);
    await vscode.commands.executeCommand("dynsplit.showBlocks");
    const panel = a.visualizer();
    assert.ok(panel, "the visualizer panel is open");
    panel.update();
    const map = lastOf(panel.posted, "repository");
    assert.ok(map, "the repository map was posted");
    assert.equal(map.files.length, a.engine.state.ingest!.files);
    assert.ok(map.storeBytes > 0 && map.kvBytesAllocated > 0);
    assert.equal(map.answer?.question, QUESTION);
    const client = map.files.find((f) => f.path === "src/http/client.ts");
    assert.ok(client && client.selectedBlocks.length > 0, "the fact's file has selected blocks");
    await panel.sendFileBlocks("src/http/client.ts");
    const blocks = lastOf(panel.posted, "fileBlocks", (m) => m.file === "src/http/client.ts");
    assert.ok(blocks?.blocks.length === client.blocks, "every block of the file, on demand");
    assert.ok(
      blocks.blocks.some((b) => b.startLine <= 5 && b.endLine >= 5),
      "with lines"
    );
    await panel.compare("chunkkv");
    const other = lastOf(panel.posted, "blocks", (m) => m.label === "compare");
    assert.ok(other && !other.empty);
    assert.equal(other.method, "chunkkv");
    assert.equal(a.engine.state.ingest!.method, "dynsplit", "the current context is restored after comparing");
  });

  test("an engine crash keeps the chat and Restart Engine brings the model and workspace back", async () => {
    const a = await api();
    const history = a.chat.entries.length;
    const crashed = new Promise<void>((resolve) => {
      const d = a.engine.onDidChangeState((s) => {
        if (s.phase === "crashed") {
          d.dispose();
          resolve();
        }
      });
    });
    await a.engine.simulateCrash();
    await crashed;
    assert.equal(a.chat.entries.length, history, "history kept");
    await vscode.commands.executeCommand("dynsplit.restartEngine");
    assert.equal(a.engine.state.phase, "ready");
    assert.ok(a.engine.state.ingest?.fromCache, "the workspace came back from the store");
    assert.equal(a.engine.state.ingest?.tokensRead, 0, "without reading a file");
    const entry = await a.ask(QUESTION);
    assert.equal(entry.text.trim(), "41");
  });

  test("Build the KV Hook for This Machine says which toolkit is missing, before building anything", async function () {
    // A missing toolkit fails in the script's first step; where the CUDA toolkit is complete this would start a real
    // build, so the test needs a machine the script itself finds lacking (ours has nvcc without cuBLAS).
    const script = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, "scripts", "build-kernels.mjs");
    const missing = JSON.parse(
      execFileSync(process.execPath, [script, "--toolkits"], {encoding: "utf8", env: {...process.env, ELECTRON_RUN_AS_NODE: "1"}})
    ) as {
      cuda: string[];
    };
    if (missing.cuda.length === 0) this.skip();
    const result = (await vscode.commands.executeCommand("dynsplit.buildKvHook", {gpu: "cuda"})) as KvHookBuildResult;
    assert.equal(result.ok, false);
    assert.equal(result.gpu, "cuda");
    assert.match(result.message, /missing (the CUDA toolkit \(nvcc\)|cuBLAS)/);
  });

  test("Clear Context empties the context; bad settings fall back to safe defaults with a message", async () => {
    const a = await api();
    await vscode.commands.executeCommand("dynsplit.clearContext");
    assert.equal(a.engine.state.ingest, undefined);
    const values: Record<string, unknown> = {budgetTokens: -5, method: "magic", blockSize: 8, tolerance: 9, include: "src"};
    const {settings, problems} = readSettings({get: <T>(k: string) => values[k] as T});
    assert.equal(settings.budgetTokens, 4096);
    assert.equal(settings.method, "dynsplit");
    assert.equal(settings.tolerance, 4);
    assert.equal(problems.length, 4);
  });
});
