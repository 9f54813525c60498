import * as vscode from "vscode";
import type {IngestSummary} from "../engine/engine";
import type {MethodName} from "../core/types";
import {message, type EngineService} from "./engineService";
import {openReference} from "./openReference";
import {webviewHtml, webviewOptions} from "./webviewHtml";
import type {BlockMap, FileBlock, RepositoryMap, SelectedFileBlocks, ToVisualizer} from "./webviewProtocol";
import {fromVisualizerSchema, parseWebviewMessage} from "./webviewSchemas";

/** The block map as the visualizer draws it (block texts are trimmed to keep messages small). */
export function blockMapMessage(ingest: IngestSummary | undefined, label: BlockMap["label"] = "current"): BlockMap {
  if (!ingest) return {type: "blocks", label, empty: true};
  return {
    type: "blocks",
    label,
    method: ingest.method,
    signal: ingest.signal,
    tokensRead: ingest.tokensRead,
    tokensKept: ingest.tokensKept,
    budgetTokens: ingest.budgetTokens,
    kvBytesAllocated: ingest.memory.kvBytesAllocated,
    kvBytesFullCache: ingest.memory.kvBytesFullCache,
    kvBytesInUse: ingest.memory.kvBytesInUse,
    files: ingest.files,
    skippedByReason: ingest.skippedByReason,
    fromCache: ingest.fromCache,
    blocks: ingest.blocks
      .filter((b) => b.file)
      .map((b) => ({
        file: b.file,
        startLine: b.startLine,
        endLine: b.endLine,
        tokens: b.tokens,
        kept: b.keptTokens > 0,
        score: b.score,
        boundary: b.boundary,
        preview: b.text.slice(0, 160),
      })),
  };
}

/** The answer whose blocks the visualizer shows: the latest one, or one picked in the chat. */
export interface ShownAnswer {
  question: string;
  answer: string;
  selection: SelectedFileBlocks[];
  tokensKept: number;
  blocksSelected: number;
  firstTokenMs?: number;
}

/**
 * The repository memory as the visualizer draws it: every file with its size (the overview), the store and the live
 * context side by side, and the blocks the shown answer selected; a file's blocks come on demand (fileBlocks).
 */
export function repositoryMessage(ingest: IngestSummary, answer: ShownAnswer | undefined): RepositoryMap {
  const selected = new Map((answer?.selection ?? []).map((f) => [f.path, f]));
  return {
    type: "repository",
    segmentation: ingest.store?.segmentation ?? ingest.method,
    placement: ingest.store?.placement,
    signal: ingest.signal,
    budgetTokens: ingest.budgetTokens,
    tokensTotal: ingest.tokensTotal,
    tokensRead: ingest.tokensRead,
    blocks: ingest.store?.blocks ?? 0,
    storeBytes: ingest.store?.bytes ?? 0,
    fromStore: ingest.store?.fromStore ?? false,
    contextSize: ingest.memory.contextSize,
    kvBytesAllocated: ingest.memory.kvBytesAllocated,
    kvBytesFullCache: ingest.memory.kvBytesFullCache,
    skippedByReason: ingest.skippedByReason,
    files: ingest.fileMap.map((f) => ({
      path: f.path,
      tokens: f.tokens,
      blocks: f.blocks,
      selectedTokens: selected.get(f.path)?.tokens ?? 0,
      selectedBlocks: selected.get(f.path)?.blocks ?? [],
    })),
    answer: answer && {
      question: answer.question,
      answer: answer.answer.slice(0, 400),
      tokensKept: answer.tokensKept,
      blocksSelected: answer.blocksSelected,
      files: answer.selection.length,
      firstTokenMs: answer.firstTokenMs,
    },
  };
}

/**
 * The semantic-block visualizer: per file, the blocks the method formed, kept or evicted, with a heat scale
 * of their scores and the delimiter each boundary landed on; totals and a memory bar; a side-by-side mode that
 * runs another method (ChunkKV, StreamingLLM, …) on the same input.
 */
export class VisualizerPanel implements vscode.Disposable {
  static readonly viewType = "dynsplit.visualizer";
  private static current?: VisualizerPanel;
  private readonly disposables: vscode.Disposable[] = [];
  readonly posted: ToVisualizer[] = [];
  /** An answer picked in the chat; otherwise the latest answer is shown. */
  private pinned?: ShownAnswer;

  static show(
    context: vscode.ExtensionContext,
    engine: EngineService,
    onToggleDecorations: () => void,
    answer?: ShownAnswer
  ): VisualizerPanel {
    if (VisualizerPanel.current) {
      VisualizerPanel.current.pinned = answer;
      VisualizerPanel.current.panel.reveal(vscode.ViewColumn.Beside);
      VisualizerPanel.current.update();
      return VisualizerPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(VisualizerPanel.viewType, "DynSplit: Semantic Blocks", vscode.ViewColumn.Beside, {
      ...webviewOptions(context.extensionUri),
      retainContextWhenHidden: false,
    });
    VisualizerPanel.current = new VisualizerPanel(panel, context, engine, onToggleDecorations);
    VisualizerPanel.current.pinned = answer;
    return VisualizerPanel.current;
  }

  /**
   * Brings back a panel VS Code restored after a window reload (the serializer): the page gets its HTML again and
   * its saved state (the folder and file it showed) through getState, then asks for the current map.
   */
  static revive(
    panel: vscode.WebviewPanel,
    context: vscode.ExtensionContext,
    engine: EngineService,
    onToggleDecorations: () => void
  ): VisualizerPanel {
    VisualizerPanel.current?.dispose();
    panel.webview.options = webviewOptions(context.extensionUri);
    VisualizerPanel.current = new VisualizerPanel(panel, context, engine, onToggleDecorations);
    return VisualizerPanel.current;
  }

  static get instance(): VisualizerPanel | undefined {
    return VisualizerPanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly engine: EngineService,
    private readonly onToggleDecorations: () => void
  ) {
    panel.webview.html = webviewHtml(panel.webview, context.extensionUri, {
      title: "Semantic Blocks",
      script: "visualizer.js",
      style: "visualizer.css",
      body: `<div id="visualizer-root"></div>`,
    });
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw) => this.onMessage(raw)),
      engine.onDidChangeState(() => this.update())
    );
  }

  update() {
    const s = this.engine.state;
    if (s.ingest?.answerFrom === "memory") {
      const last = s.lastAnswer;
      const latest: ShownAnswer | undefined = last?.answer.selection
        ? {
            question: last.question,
            answer: last.answer.answer,
            selection: last.answer.selection,
            tokensKept: last.answer.tokensKept,
            blocksSelected: last.answer.blocksSelected,
            firstTokenMs: last.answer.firstTokenMs,
          }
        : undefined;
      this.post(repositoryMessage(s.ingest, this.pinned ?? latest));
    } else this.post(blockMapMessage(s.ingest));
  }

  /** Shows the latest answer again (after a pinned one). */
  showLatest() {
    this.pinned = undefined;
    this.update();
  }

  async sendFileBlocks(file: string) {
    try {
      const blocks = await this.engine.fileBlocks(file);
      this.post({
        type: "fileBlocks",
        file,
        blocks: blocks.map((b): FileBlock => ({
          startLine: b.startLine,
          endLine: b.endLine,
          tokens: b.tokens,
          score: b.score,
          kept: b.keptTokens > 0,
        })),
      });
    } catch (err) {
      this.post({type: "error", message: message(err)});
    }
  }

  async compare(method: MethodName) {
    this.post({type: "comparing", method});
    try {
      const other = await this.engine.compare(method);
      this.post(blockMapMessage(other, "compare"));
    } catch (err) {
      this.post({type: "error", message: message(err)});
    }
  }

  dispose() {
    VisualizerPanel.current = undefined;
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }

  private async onMessage(raw: unknown) {
    const parsed = parseWebviewMessage(fromVisualizerSchema, raw);
    if (!parsed.ok) {
      console.warn(`[dynsplit] ignored an invalid visualizer message: ${parsed.error}`);
      return;
    }
    const msg = parsed.value;
    if (msg.type === "ready") this.update();
    else if (msg.type === "openReference") await openReference(msg);
    else if (msg.type === "compare") await this.compare(msg.method);
    else if (msg.type === "toggleDecorations") this.onToggleDecorations();
    else if (msg.type === "loadWorkspace") await vscode.commands.executeCommand("dynsplit.loadWorkspace");
    else if (msg.type === "fileBlocks") await this.sendFileBlocks(msg.file);
    else if (msg.type === "showLatest") this.showLatest();
  }

  private post(msg: ToVisualizer) {
    this.posted.push(msg);
    if (this.posted.length > 200) this.posted.splice(0, 50);
    void this.panel.webview.postMessage(msg);
  }
}
