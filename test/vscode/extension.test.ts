/// <reference types="mocha" />
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type {DynSplitApi} from "../../src/extension/extension";
import {readSettings} from "../../src/extension/settings";

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

  test("Load Workspace into Context reads the fixture workspace through the worker, with honest memory figures", async () => {
    const a = await api();
    await vscode.commands.executeCommand("dynsplit.loadWorkspace");
    const s = a.engine.state;
    assert.equal(s.phase, "ready");
    assert.ok(s.model, "the bundled model is loaded");
    const i = s.ingest!;
    assert.ok(i, "the workspace is loaded");
    assert.ok(i.files >= 5, `${i.files} files read`);
    assert.ok(i.tokensRead > 1024 && i.tokensKept === 1024, `${i.tokensKept}/${i.tokensRead} tokens`);
    assert.equal(i.memory.kvBytesAllocated, i.memory.contextSize * i.memory.kvBytesPerToken);
    assert.ok(i.memory.kvBytesFullCache > i.memory.kvBytesInUse);
    assert.ok(i.blocks.some((b) => b.file === "src/http/client.ts"));
    assert.ok(a.engine.workerPid && a.engine.workerPid !== process.pid, "the model runs in a separate process");
  });

  test("a question in the chat gets the planted answer, streamed, with references that point at the file", async () => {
    const a = await api();
    const before = a.chat.posted.length;
    const entry = await a.ask(QUESTION);
    assert.equal(entry.role, "assistant", entry.text);
    assert.equal(entry.text.trim(), "41");
    const streamed = a.chat.posted.slice(before).filter((m: any) => m.type === "answerText");
    assert.ok(streamed.length > 0, "the answer was streamed to the view");
    assert.ok(entry.references?.some((r) => r.file === "src/http/client.ts" && r.startLine <= 5 && r.endLine >= 5), JSON.stringify(entry.references));
    assert.ok(a.chat.entries.length >= 2, "the history holds the question and the answer");
  });

  test("Show Semantic Blocks posts the block map; the comparison mode runs another method on the same input", async () => {
    const a = await api();
    await vscode.commands.executeCommand("dynsplit.showBlocks");
    const panel = a.visualizer();
    assert.ok(panel, "the visualizer panel is open");
    panel.update();
    const map = panel.posted.filter((m: any) => m.type === "blocks" && m.label === "current").pop() as any;
    assert.ok(map && !map.empty);
    assert.equal(map.method, "dynsplit");
    assert.equal(map.tokensKept, a.engine.state.ingest!.tokensKept);
    assert.ok(map.blocks.some((b: any) => b.kept) && map.blocks.some((b: any) => !b.kept), "kept and evicted blocks");
    await panel.compare("chunkkv");
    const other = panel.posted.filter((m: any) => m.type === "blocks" && m.label === "compare").pop() as any;
    assert.equal(other?.method, "chunkkv");
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
    assert.ok(a.engine.state.ingest?.fromCache, "the workspace came back from the persistent cache");
    const entry = await a.ask(QUESTION);
    assert.equal(entry.text.trim(), "41");
  });

  test("Clear Context empties the context; bad settings fall back to safe defaults with a message", async () => {
    const a = await api();
    await vscode.commands.executeCommand("dynsplit.clearContext");
    assert.equal(a.engine.state.ingest, undefined);
    const values: Record<string, unknown> = {budgetTokens: -5, method: "magic", blockSize: 8, tolerance: 9, include: "src"};
    const {settings, problems} = readSettings({get: (k: string) => values[k]} as any);
    assert.equal(settings.budgetTokens, 4096);
    assert.equal(settings.method, "dynsplit");
    assert.equal(settings.tolerance, 4);
    assert.equal(problems.length, 4);
  });
});
