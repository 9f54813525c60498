import * as vscode from "vscode";
import type {AskSummary, IngestSummary} from "../engine/engine";

/**
 * Optional editor decorations: kept blocks get a gutter bar, evicted ones are dimmed. With the repository memory,
 * "kept" is what the latest answer's question selected, and nothing is dimmed (every block stays in the store).
 */
export class BlockDecorations implements vscode.Disposable {
  private enabled = false;
  private ingest?: IngestSummary;
  private answer?: AskSummary;
  private readonly kept = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    overviewRulerColor: new vscode.ThemeColor("charts.green"),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
    borderWidth: "0 0 0 3px",
    borderStyle: "solid",
    borderColor: new vscode.ThemeColor("charts.green"),
  });
  private readonly evicted = vscode.window.createTextEditorDecorationType({isWholeLine: true, opacity: "0.55"});
  private readonly listener = vscode.window.onDidChangeVisibleTextEditors(() => this.render());

  get isEnabled() {
    return this.enabled;
  }

  toggle(): boolean {
    this.enabled = !this.enabled;
    this.render();
    return this.enabled;
  }

  update(ingest: IngestSummary | undefined, answer?: AskSummary) {
    this.ingest = ingest;
    this.answer = answer;
    this.render();
  }

  private render() {
    for (const editor of vscode.window.visibleTextEditors) {
      const rel = vscode.workspace.asRelativePath(editor.document.uri, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
      const range = (b: {startLine: number; endLine: number}) =>
        new vscode.Range(b.startLine - 1, 0, Math.max(b.startLine, b.endLine) - 1, 0);
      if (this.ingest?.answerFrom === "memory") {
        const lines = this.enabled ? (this.answer?.selection?.find((f) => f.path === rel)?.lines ?? []) : [];
        editor.setDecorations(
          this.kept,
          lines.map(([startLine, endLine]) => range({startLine, endLine}))
        );
        editor.setDecorations(this.evicted, []);
        continue;
      }
      const blocks = this.enabled ? (this.ingest?.blocks ?? []).filter((b) => b.file === rel && b.startLine > 0) : [];
      editor.setDecorations(this.kept, blocks.filter((b) => b.keptTokens > 0).map(range));
      editor.setDecorations(this.evicted, blocks.filter((b) => b.keptTokens === 0).map(range));
    }
  }

  dispose() {
    this.kept.dispose();
    this.evicted.dispose();
    this.listener.dispose();
  }
}
