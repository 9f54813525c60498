import * as vscode from "vscode";
import {formatDuration} from "../core/formatDuration";
import {openBenchmarkReport} from "./benchmarkReport";
import {ChatViewProvider, type ChatEntry} from "./chatViewProvider";
import {registerChatParticipant} from "./chatParticipant";
import {BlockDecorations} from "./decorations";
import {buildKvHook} from "./kvHookBuild";
import type {KvHookGpu} from "./kvHookBuildProgress";
import {EngineService, message, type ContextScope} from "./engineService";
import {pickMethodAndBudget, pickModel} from "./pickers";
import {readSettings} from "./settings";
import {StatusBar} from "./statusBar";
import {VisualizerPanel} from "./visualizerPanel";

/** What activate() returns: a small API the extension-host tests drive. */
export interface DynSplitApi {
  engine: EngineService;
  chat: ChatViewProvider;
  ask(text: string, scope?: ContextScope): Promise<ChatEntry>;
  visualizer(): VisualizerPanel | undefined;
  decorations: BlockDecorations;
}

export function activate(context: vscode.ExtensionContext): DynSplitApi {
  const output = vscode.window.createOutputChannel("DynSplit Chat");
  const engine = new EngineService(context, output);
  const status = new StatusBar();
  const decorations = new BlockDecorations();
  const showBlocks = (entry?: ChatEntry) =>
    VisualizerPanel.show(
      context,
      engine,
      () => toggleDecorations(),
      entry?.selection
        ? {
            question: questionOf(chat, entry),
            answer: entry.text,
            selection: entry.selection,
            tokensKept: entry.selection.reduce((a, f) => a + f.tokens, 0),
            blocksSelected: entry.selection.reduce((a, f) => a + f.blocks.length, 0),
            firstTokenMs: entry.firstTokenMs,
          }
        : undefined
    );
  const chat = new ChatViewProvider(context, engine, (entry) => void showBlocks(entry));
  const toggleDecorations = () => {
    const on = decorations.toggle();
    void vscode.window.setStatusBarMessage(`DynSplit: kept/evicted decorations ${on ? "on" : "off"}`, 2000);
  };

  context.subscriptions.push(
    output,
    engine,
    status,
    decorations,
    chat,
    engine.onDidChangeState((s) => {
      status.render(s);
      decorations.update(s.ingest, s.lastAnswer?.answer);
      if (s.model?.demo) offerRealModel(context);
    }),
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chat, {webviewOptions: {retainContextWhenHidden: true}}),
    // The visualizer survives a window reload: VS Code restores the panel, we give it back its page.
    vscode.window.registerWebviewPanelSerializer(VisualizerPanel.viewType, {
      deserializeWebviewPanel: async (panel) => void VisualizerPanel.revive(panel, context, engine, () => toggleDecorations()),
    }),
    command("dynsplit.openChat", () => chat.reveal()),
    command("dynsplit.loadWorkspace", () => loadWorkspace(engine)),
    command("dynsplit.askSelection", () => askAbout(chat, "selection")),
    command("dynsplit.askFile", () => askAbout(chat, "file")),
    command("dynsplit.showBlocks", () => void showBlocks()),
    command("dynsplit.selectModel", async () => {
      if (!(await pickModel())) return;
      const model = await vscode.window.withProgress(
        {location: vscode.ProgressLocation.Notification, title: "DynSplit: loading the model"},
        (progress) => engine.ensureModel((m) => progress.report({message: m}))
      );
      const verdict = model.capability === "supported" ? "" : ` — ${model.capability}: ${model.capabilityReason}`;
      void vscode.window.showInformationMessage(
        `DynSplit: ${model.name} is loaded (${model.binary}${model.hasProbe ? ", attention probe" : ""}, ${model.format} format)${verdict}.`
      );
    }),
    command("dynsplit.selectMethod", async () => {
      if ((await pickMethodAndBudget()) && engine.state.ingest) await loadWorkspace(engine);
    }),
    command("dynsplit.clearContext", () => engine.clear()),
    // A fresh conversation: the transcript empties, so the next question sees no earlier turn.
    command("dynsplit.newChat", () => chat.clearHistory()),
    command("dynsplit.restartEngine", () =>
      vscode.window.withProgress({location: vscode.ProgressLocation.Notification, title: "DynSplit: restarting the engine"}, () =>
        engine.restart()
      )
    ),
    command("dynsplit.openBenchmarkReport", () => openBenchmarkReport(context.extensionPath)),
    // Returns its result (the extension-host test reads it); errors are shown by buildKvHook itself.
    vscode.commands.registerCommand("dynsplit.buildKvHook", (options?: {gpu?: KvHookGpu}) =>
      buildKvHook(context.extensionPath, output, () => engine.stopWorker(), options)
    ),
    command("dynsplit.toggleDecorations", () => toggleDecorations()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("dynsplit")) reportSettingProblems();
      // Threads and GPU layers are fixed when the worker process starts: offer the restart that applies them.
      const workerSetting =
        e.affectsConfiguration("dynsplit.threads") ||
        e.affectsConfiguration("dynsplit.gpuLayers") ||
        e.affectsConfiguration("dynsplit.answerTokens") ||
        e.affectsConfiguration("dynsplit.kvCacheType");
      if (workerSetting && engine.state.phase !== "stopped")
        void vscode.window
          .showInformationMessage(
            "DynSplit: the new threads/GPU/answer-length/KV-cache setting applies after the engine restarts.",
            "Restart Engine"
          )
          .then((a) => {
            if (a) void vscode.commands.executeCommand("dynsplit.restartEngine");
          });
    })
  );
  registerChatParticipant(context, engine);
  reportSettingProblems();

  // An engine crash keeps the chat; the user gets the error with a Restart action.
  engine.onDidChangeState((s) => {
    if (s.phase === "crashed")
      void vscode.window.showErrorMessage(`DynSplit: ${s.error ?? "the engine stopped"}`, "Restart Engine").then((a) => {
        if (a) void vscode.commands.executeCommand("dynsplit.restartEngine");
      });
  });

  return {
    engine,
    chat,
    ask: (text, scope = {kind: "workspace"}) => chat.ask(text, scope),
    visualizer: () => VisualizerPanel.instance,
    decorations,
  };
}

export function deactivate() {
  // Disposables (the engine worker included) are released through context.subscriptions.
}

function command(id: string, run: () => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, async () => {
    try {
      await run();
    } catch (err) {
      void vscode.window.showErrorMessage(`DynSplit: ${message(err)}`);
    }
  });
}

/** Once per installation, when the demo model is first loaded: it answers planted facts only, so offer a real one. */
function offerRealModel(context: vscode.ExtensionContext) {
  const key = "dynsplit.realModelOffered";
  if (context.globalState.get<boolean>(key)) return;
  void context.globalState.update(key, true);
  void vscode.window
    .showInformationMessage(
      "DynSplit is answering with its small demo model, which only knows planted facts. Pick a real GGUF model (a file or a Hugging Face URI)?",
      "Pick a Model…",
      "Keep the Demo Model"
    )
    .then((a) => {
      if (a === "Pick a Model…") void vscode.commands.executeCommand("dynsplit.selectModel");
    });
}

async function loadWorkspace(engine: EngineService) {
  await vscode.window.withProgress(
    {location: vscode.ProgressLocation.Notification, title: "DynSplit: loading the workspace into context", cancellable: true},
    async (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      progress.report({message: "loading the model…"});
      await engine.ensureModel((m) => progress.report({message: m}));
      let last = 0;
      const summary = await engine.load(
        {kind: "workspace"},
        {
          signal: controller.signal,
          onProgress: (p) => {
            const pct = p.tokensTotal ? (100 * p.tokensRead) / p.tokensTotal : 0;
            const eta = p.etaMs != null && p.tokensRead < p.tokensTotal ? ` · about ${formatDuration(p.etaMs)} left` : "";
            const kept = p.tokensKept ? ` · ${p.tokensKept} kept` : "";
            progress.report({
              increment: pct - last,
              message: `${p.filesRead}/${p.filesTotal} files · ${p.tokensRead}/${p.tokensTotal} tokens${kept}${eta}`,
            });
            last = pct;
          },
        }
      );
      const skipped = Object.values(summary.skippedByReason).reduce((a, n) => a + (n ?? 0), 0);
      const beyond = summary.beyondModelContext;
      const read =
        summary.answerFrom === "memory"
          ? `${summary.files} files, ${summary.tokensTotal} tokens in the repository memory (${summary.tokensRead ? `${summary.tokensRead} tokens read now` : "nothing read: all from the store"}); each question gets up to ${summary.budgetTokens} tokens of them`
          : `${summary.files} files, ${summary.tokensRead} tokens read, ${summary.tokensKept} kept (${summary.method}, ${summary.signal})${summary.fromCache ? " — from the cache" : ""}`;
      const message =
        `DynSplit: ${read}${skipped ? `; ${skipped} skipped` : ""}.` +
        (beyond
          ? ` That is more than the ${beyond.modelContextTokens} tokens this model handles well: lower dynsplit.budgetTokens for reliable answers.`
          : "");
      const show = beyond ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      void show(message, "Show Semantic Blocks").then((a) => a && vscode.commands.executeCommand("dynsplit.showBlocks"));
    }
  );
}

async function askAbout(chat: ChatViewProvider, kind: "file" | "selection") {
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new Error("open a file first");
  if (kind === "selection" && editor.selection.isEmpty) throw new Error("select some text first");
  const question = await vscode.window.showInputBox({
    title: `Ask about the ${kind === "file" ? "current file" : "selection"}`,
    prompt: "Your question",
  });
  if (!question?.trim()) return;
  await chat.reveal();
  const scope: ContextScope =
    kind === "file" ? {kind, uri: editor.document.uri} : {kind, uri: editor.document.uri, range: editor.selection};
  await chat.ask(question, scope);
}

/** The question an answer in the history replied to (the user entry before it). */
function questionOf(chat: ChatViewProvider, entry: ChatEntry): string {
  const i = chat.entries.indexOf(entry);
  for (let k = i - 1; k >= 0; k--) if (chat.entries[k].role === "user") return chat.entries[k].text;
  return "";
}

function reportSettingProblems() {
  const {problems} = readSettings(vscode.workspace.getConfiguration("dynsplit"));
  if (problems.length)
    void vscode.window.showWarningMessage(`DynSplit settings: ${problems.join(" · ")}`, "Open Settings").then((a) => {
      if (a) void vscode.commands.executeCommand("workbench.action.openSettings", "dynsplit");
    });
}
