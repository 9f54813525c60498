import * as vscode from "vscode";
import type {Turn} from "../engine/session/promptFormat";
import {formatBytes} from "../core/kvMemory";
import {message, type ContextScope, type EngineService, type EngineState} from "./engineService";
import {openReference} from "./openReference";
import {webviewHtml, webviewOptions} from "./webviewHtml";
import type {ChatEntry, ChatViewState, FromChat, ToChat} from "./webviewProtocol";
import {fromChatSchema, parseWebviewMessage} from "./webviewSchemas";

export type {ChatEntry};

const HISTORY_KEY = "dynsplit.chatHistory";
/** Turns handed to the engine; it keeps as many of the latest as fit half the budget. */
const MAX_TURNS = 32;

/** The transcript's workspace questions with their answers, oldest first (New Chat empties the transcript). */
export function conversationTurns(history: readonly ChatEntry[]): Turn[] {
  const turns: Turn[] = [];
  for (let i = 0; i + 1 < history.length; i++) {
    const q = history[i];
    const a = history[i + 1];
    if (
      q.role === "user" &&
      q.scope === "workspace" &&
      a.role === "assistant" &&
      a.stoppedBy !== "cancelled" &&
      a.text &&
      a.text !== "(no answer)"
    )
      turns.push({question: q.text, answer: a.text});
  }
  return turns.slice(-MAX_TURNS);
}

/**
 * The chat view (a webview view in its own activity-bar container, so it works without Copilot's native Chat):
 * streaming answers, Stop, Markdown (rendered and sanitised in the webview), references that open the source.
 * The history lives in workspaceState: it survives a reload and an engine crash.
 */
export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = "dynsplit.chat";
  private view?: vscode.WebviewView;
  private history: ChatEntry[];
  private running?: AbortController;
  private readonly disposables: vscode.Disposable[] = [];
  /** Messages posted to the webview, kept for the extension-host tests. */
  readonly posted: ToChat[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly engine: EngineService,
    private readonly onShowBlocks: (entry?: ChatEntry) => void
  ) {
    this.history = context.workspaceState.get<ChatEntry[]>(HISTORY_KEY, []);
    this.disposables.push(engine.onDidChangeState((s) => this.post({type: "state", state: viewState(s)})));
  }

  get entries(): readonly ChatEntry[] {
    return this.history;
  }

  resolveWebviewView(view: vscode.WebviewView) {
    this.view = view;
    view.webview.options = webviewOptions(this.context.extensionUri);
    view.webview.html = webviewHtml(view.webview, this.context.extensionUri, {
      title: "DynSplit Chat",
      script: "chat.js",
      style: "chat.css",
      body: `<div id="chat-root"></div>`,
    });
    this.disposables.push(view.webview.onDidReceiveMessage((raw) => this.onMessage(raw)));
  }

  /** Reveals the view (used by "Open Chat"). */
  async reveal() {
    await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
  }

  /** Asks a question in a scope: loads the scope if needed, streams the answer into the view. */
  async ask(text: string, scope: ContextScope): Promise<ChatEntry> {
    if (this.running) throw new Error("an answer is still being generated: stop it first");
    const controller = new AbortController();
    this.running = controller;
    // Workspace questions are one conversation (this transcript's earlier turns); file and selection questions stand alone.
    const conversation = scope.kind === "workspace" ? conversationTurns(this.history) : undefined;
    this.push({id: newId(), role: "user", text, scope: scope.kind});
    const id = newId();
    try {
      const state = this.engine.state;
      // The repository memory answers every question from the store; only another scope (or a fresh engine) loads.
      const needsLoad = !state.ingest || scope.kind !== "workspace" || state.scope !== "workspace" || state.phase === "crashed";
      if (needsLoad) await this.loadWithProgress(scope, controller.signal);
      this.post({type: "answerStart", id});
      let streamed = "";
      const result = await this.engine.ask(text, {
        conversation,
        signal: controller.signal,
        onText: (t) => {
          streamed += t;
          this.post({type: "answerText", id, text: t});
        },
      });
      const entry: ChatEntry = {
        id,
        role: "assistant",
        text: result.answer || streamed || "(no answer)",
        scope: scope.kind,
        stoppedBy: result.stoppedBy,
        references: result.references.map((r) => ({file: r.file, startLine: r.startLine, endLine: r.endLine, score: r.score})),
        selection: result.selection?.map((f) => ({path: f.path, blocks: f.blocks, tokens: f.tokens})),
        answerFrom: result.answerFrom,
        firstTokenMs: result.firstTokenMs,
        turnsDropped: result.turnsDropped || undefined,
      };
      this.push(entry);
      this.post({type: "answerEnd", id});
      return entry;
    } catch (err) {
      const crashed = this.engine.state.phase === "crashed";
      const entry: ChatEntry = {
        id,
        role: "error",
        text: controller.signal.aborted ? "Stopped." : message(err),
        action: crashed ? "restartEngine" : undefined,
      };
      this.push(entry);
      this.post({type: "answerEnd", id});
      return entry;
    } finally {
      this.running = undefined;
    }
  }

  stop() {
    this.running?.abort();
  }

  async clearHistory() {
    this.history = [];
    await this.context.workspaceState.update(HISTORY_KEY, this.history);
    this.post({type: "history", entries: this.history});
  }

  dispose() {
    this.running?.abort();
    for (const d of this.disposables) d.dispose();
  }

  private async loadWithProgress(scope: ContextScope, signal: AbortSignal) {
    await vscode.window.withProgress({location: {viewId: ChatViewProvider.viewId}, title: "Reading into context"}, () =>
      this.engine.load(scope, {signal})
    );
  }

  private async onMessage(raw: unknown) {
    const parsed = parseWebviewMessage(fromChatSchema, raw);
    if (!parsed.ok) {
      console.warn(`[dynsplit] ignored an invalid chat message: ${parsed.error}`);
      return;
    }
    const msg: FromChat = parsed.value;
    switch (msg.type) {
      case "ready":
        this.post({type: "history", entries: this.history});
        this.post({type: "state", state: viewState(this.engine.state)});
        return;
      case "ask":
        await this.ask(msg.text, this.scopeFor(msg.scope));
        return;
      case "stop":
        this.stop();
        return;
      case "openReference":
        await openReference(msg);
        return;
      case "loadWorkspace":
        await vscode.commands.executeCommand("dynsplit.loadWorkspace");
        return;
      case "restartEngine":
        await vscode.commands.executeCommand("dynsplit.restartEngine");
        return;
      case "showBlocks":
        this.onShowBlocks(msg.entryId ? this.history.find((e) => e.id === msg.entryId) : undefined);
        return;
      case "clearHistory":
        await this.clearHistory();
        return;
    }
  }

  private scopeFor(kind: ContextScope["kind"]): ContextScope {
    const editor = vscode.window.activeTextEditor;
    if (kind === "file" && editor) return {kind: "file", uri: editor.document.uri};
    if (kind === "selection" && editor && !editor.selection.isEmpty)
      return {kind: "selection", uri: editor.document.uri, range: editor.selection};
    return {kind: "workspace"};
  }

  private push(entry: ChatEntry) {
    this.history = [...this.history, entry].slice(-200);
    void this.context.workspaceState.update(HISTORY_KEY, this.history);
    this.post({type: "entry", entry});
  }

  private post(msg: ToChat) {
    this.posted.push(msg);
    if (this.posted.length > 500) this.posted.splice(0, 100);
    void this.view?.webview.postMessage(msg);
  }
}

/** The state the chat header shows: model, method, signal, tokens and memory. */
export function viewState(s: EngineState): ChatViewState {
  const i = s.ingest;
  return {
    phase: s.phase,
    error: s.error,
    model: s.model?.name,
    scope: s.scope,
    method: i?.method,
    signal: i?.signal,
    answerFrom: i?.answerFrom,
    tokensRead: i?.tokensRead,
    tokensTotal: i?.tokensTotal,
    tokensKept: i?.tokensKept,
    storeBytes: i?.store ? formatBytes(i.store.bytes) : undefined,
    kvAllocated: i ? formatBytes(i.memory.kvBytesAllocated) : undefined,
    kvFullCache: i ? formatBytes(i.memory.kvBytesFullCache) : undefined,
    progress: s.progress,
  };
}

function newId(): string {
  return Math.random().toString(36).slice(2, 10);
}
