import {existsSync, readFileSync, readdirSync} from "node:fs";
import path from "node:path";
import * as vscode from "vscode";

/**
 * "Open Benchmark Report": the latest `dynsplit bench` results (bench-results/ in the workspace, else the
 * figures that ship in docs/results/), rendered as Markdown with their SVG plots.
 */
export async function openBenchmarkReport(extensionPath: string) {
  const candidates = [
    ...(vscode.workspace.workspaceFolders ?? []).map((f) => path.join(f.uri.fsPath, "bench-results")),
    path.join(extensionPath, "docs", "results"),
  ];
  for (const dir of candidates) {
    const report = path.join(dir, "report.md");
    if (existsSync(report)) {
      await vscode.commands.executeCommand("markdown.showPreview", vscode.Uri.file(report));
      return;
    }
    if (existsSync(dir)) {
      const json = readdirSync(dir).filter((f) => f.endsWith(".json"));
      if (json.length) {
        const doc = await vscode.workspace.openTextDocument({language: "json", content: readFileSync(path.join(dir, json[0]), "utf8")});
        await vscode.window.showTextDocument(doc);
        return;
      }
    }
  }
  void vscode.window.showInformationMessage(
    "DynSplit: no benchmark results yet. Run `npm run bench` in the DynSplit repository (or `dynsplit bench` where the CLI is installed)."
  );
}
