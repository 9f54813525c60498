import path from "node:path";
import * as vscode from "vscode";
import type {AskSummary, EngineConfig, IngestRequest, IngestSummary, ModelInfo} from "../engine/engine";
import type {Turn} from "../engine/session/promptFormat";
import type {IngestProgress} from "../engine/session/compressedSession";
import {EngineClient, EngineCrashedError} from "../engine/worker/engineClient";
import {readSettings, type DynSplitSettings} from "./settings";
import type {EnginePhase} from "./webviewProtocol";

export type {EnginePhase};

/** What the context holds: the whole workspace, one file, or a selection. */
export type ContextScope =
  {kind: "workspace"} | {kind: "file"; uri: vscode.Uri} | {kind: "selection"; uri: vscode.Uri; range: vscode.Range};

export interface EngineState {
  phase: EnginePhase;
  model?: ModelInfo;
  ingest?: IngestSummary;
  /** The latest answer (the visualizer shows which blocks it selected). */
  lastAnswer?: {question: string; answer: AskSummary};
  scope?: ContextScope["kind"];
  progress?: IngestProgress;
  error?: string;
}

/**
 * The extension's handle on the engine worker: starts it on demand, loads the configured model, turns a scope
 * into an ingest request, and publishes one state object that the chat, the status bar and the visualizer
 * render. A crash moves to "crashed" with the error; `restart()` brings the model and workspace back.
 */
export class EngineService implements vscode.Disposable {
  private readonly client: EngineClient;
  private readonly emitter = new vscode.EventEmitter<EngineState>();
  readonly onDidChangeState = this.emitter.event;
  private current: EngineState = {phase: "stopped"};
  private loadedModelSpec?: string;
  private lastScope?: ContextScope;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel
  ) {
    this.client = new EngineClient(path.join(context.extensionPath, "dist", "worker.mjs"), this.workerConfig(), process.execPath);
    this.client.on("log", (line) => output.append(line.endsWith("\n") ? line : line + "\n"));
    this.client.on("crash", (err) => {
      output.appendLine(`[engine] ${err.message}`);
      this.setState({phase: "crashed", error: err.message});
    });
  }

  /** Settings that live in the worker process (threads, GPU layers): read at start and at restart. */
  private workerConfig(): EngineConfig {
    const {settings} = readSettings(vscode.workspace.getConfiguration("dynsplit"));
    return {
      packageRoot: this.context.extensionPath,
      cacheDir: this.context.globalStorageUri.fsPath,
      threads: settings.threads || undefined,
      probe: "auto",
      gpuLayers: settings.gpuLayers,
      answerTokens: settings.answerTokens,
      kvCacheType: settings.kvCacheType,
    };
  }

  get state(): EngineState {
    return this.current;
  }

  get workerPid(): number | undefined {
    return this.client.pid;
  }

  /** Loads the model named in the settings (once; again when the setting changes). */
  async ensureModel(progress?: (message: string) => void): Promise<ModelInfo> {
    const {settings} = readSettings(vscode.workspace.getConfiguration("dynsplit"));
    const spec = vscode.workspace.isTrusted ? settings.model : "bundled";
    if (this.current.model && this.loadedModelSpec === spec && this.current.phase !== "crashed") return this.current.model;
    this.setState({phase: "loading-model", error: undefined});
    try {
      const model = await this.client.request(
        "loadModel",
        {model: spec},
        {
          onProgress: (d) =>
            progress?.(`downloading ${(d.downloadedBytes / 2 ** 20).toFixed(0)} / ${(d.totalBytes / 2 ** 20).toFixed(0)} MiB`),
        }
      );
      this.loadedModelSpec = spec;
      this.setState({phase: "ready", model, ingest: undefined});
      return model;
    } catch (err) {
      this.setState({phase: err instanceof EngineCrashedError ? "crashed" : "ready", error: message(err), model: undefined});
      this.loadedModelSpec = undefined;
      throw err;
    }
  }

  /**
   * Reads a scope: into the repository memory (an unchanged workspace reads nothing), or, with the older answer modes,
   * into a compressed KV cache. A failed or cancelled load leaves the previous context loaded and usable.
   */
  async load(scope: ContextScope, options: {onProgress?: (p: IngestProgress) => void; signal?: AbortSignal} = {}): Promise<IngestSummary> {
    await this.ensureModel();
    const {settings} = readSettings(vscode.workspace.getConfiguration("dynsplit"));
    const request = await this.requestFor(scope, settings);
    const before = {ingest: this.current.ingest, scope: this.current.scope};
    this.setState({phase: "ingesting", progress: undefined, error: undefined});
    try {
      const ingest = await this.client.request("ingest", request, {
        signal: options.signal,
        onProgress: (p) => {
          options.onProgress?.(p);
          this.setState({progress: p});
        },
      });
      this.lastScope = scope;
      this.setState({phase: "ready", ingest, scope: scope.kind, progress: undefined});
      return ingest;
    } catch (err) {
      // The worker kept its previous workspace: so does the state (unless the worker itself is gone).
      const crashed = err instanceof EngineCrashedError;
      this.setState({phase: crashed ? "crashed" : "ready", error: message(err), progress: undefined, ...(crashed ? {} : before)});
      throw err;
    }
  }

  /** Every block of one file (the visualizer asks when it shows a file). */
  async fileBlocks(file: string) {
    return this.client.request("fileBlocks", {file});
  }

  /** The same input under another method, for the visualizer's side-by-side view; the current context is restored after. */
  async compare(method: IngestRequest["method"]): Promise<IngestSummary> {
    const scope = this.lastScope;
    if (!scope) throw new Error("load the workspace first");
    const {settings} = readSettings(vscode.workspace.getConfiguration("dynsplit"));
    const base = await this.requestFor(scope, settings);
    // The comparison runs the compressed stream (one block map per method); the current context comes back after.
    const other = await this.client.request("ingest", {...base, answerFrom: "once", method, useCache: true});
    const restored = await this.client.request("ingest", {...base, useCache: true});
    this.setState({ingest: restored});
    return other;
  }

  /**
   * Asks a question. With `conversation`, the question follows those turns (the chat's own transcript, so that a
   * reloaded window or a restarted worker continues the same conversation); without, it stands alone.
   */
  async ask(
    question: string,
    options: {onText?: (t: string) => void; signal?: AbortSignal; conversation?: Turn[]} = {}
  ): Promise<AskSummary> {
    if (!this.current.ingest) throw new Error("nothing is loaded: run “DynSplit: Load Workspace into Context” first");
    this.setState({phase: "answering", error: undefined});
    try {
      if (options.conversation) await this.client.request("setConversation", {turns: options.conversation});
      const result = await this.client.request(
        "ask",
        {question, conversation: options.conversation != null},
        {onText: options.onText, signal: options.signal}
      );
      this.setState({phase: "ready", lastAnswer: {question, answer: result}});
      return result;
    } catch (err) {
      this.setState({phase: err instanceof EngineCrashedError ? "crashed" : "ready", error: message(err)});
      throw err;
    }
  }

  async clear() {
    await this.client.request("clear", {});
    this.lastScope = undefined;
    this.setState({ingest: undefined, scope: undefined});
  }

  async clearCache() {
    await this.client.request("clearCache", {});
  }

  /** Starts a fresh worker; the model and the last workspace come back (from the persistent cache). */
  async restart() {
    this.setState({phase: "starting", error: undefined});
    try {
      await this.client.restart(this.workerConfig());
      this.loadedModelSpec = undefined;
      const model = await this.ensureModel();
      const ingest = this.lastScope ? await this.load(this.lastScope) : undefined;
      this.setState({phase: "ready", model, ingest});
    } catch (err) {
      this.setState({phase: "crashed", error: message(err)});
      throw err;
    }
  }

  /** Stops the worker, e.g. while the binary it loaded is rebuilt; the next request starts a fresh one. */
  async stopWorker() {
    await this.client.stop();
    this.loadedModelSpec = undefined;
    this.setState({phase: "stopped", model: undefined});
  }

  /** Test hook: kill the worker the way a native crash would. */
  async simulateCrash() {
    await this.client.request("crash", {}).catch(() => undefined);
  }

  dispose() {
    void this.client.stop();
    this.emitter.dispose();
  }

  /**
   * The default budget never asks more of the model than it handles well (the bundled model: its card's measured
   * context); a budget the user set is used as set, and the load message warns when it is longer.
   */
  private effectiveBudget(budget: number): number {
    const handles = this.current.model?.handlesContextTokens;
    const set = vscode.workspace.getConfiguration("dynsplit").inspect<number>("budgetTokens");
    const userSet = set?.globalValue ?? set?.workspaceValue ?? set?.workspaceFolderValue;
    return userSet == null && handles != null && handles < budget ? handles : budget;
  }

  private async requestFor(scope: ContextScope, s: DynSplitSettings): Promise<IngestRequest> {
    const common: IngestRequest = {
      answerFrom: s.answerFrom,
      placement: s.placement === "auto" ? undefined : s.placement,
      storeMaxBytes: Math.round(s.storeSizeLimitGB * 2 ** 30),
      method: s.method,
      budget: {tokens: this.effectiveBudget(s.budgetTokens)},
      signal: s.signal,
      useCache: s.persistentCache,
      maxFileBytes: s.maxFileBytes,
      methodOptions: {blockSize: s.blockSize, tolerance: s.tolerance, nSink: s.sinkTokens, recentWindow: s.recentWindow},
    };
    if (!vscode.workspace.isTrusted) throw new Error("this workspace is not trusted: DynSplit does not read its files until you trust it");
    if (scope.kind === "workspace") {
      const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file").map((f) => f.uri.fsPath);
      if (roots.length === 0) throw new Error("open a folder first: there is no workspace folder on disk to read");
      return {...common, roots, include: s.include, exclude: s.exclude};
    }
    const doc = await vscode.workspace.openTextDocument(scope.uri);
    const rel = vscode.workspace.asRelativePath(scope.uri, true);
    if (scope.kind === "file") return {...common, documents: [{path: rel, content: doc.getText()}]};
    const text = doc.getText(scope.range);
    if (!text.trim()) throw new Error("the selection is empty");
    return {...common, documents: [{path: rel, content: text, firstLine: scope.range.start.line + 1}]};
  }

  private setState(patch: Partial<EngineState>) {
    this.current = {...this.current, ...patch};
    this.emitter.fire(this.current);
  }
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
