import path from "node:path";
import * as vscode from "vscode";
import type {OpenReference} from "./webviewProtocol";

/**
 * Opens a block's source at its lines. The path comes from a webview, so it is resolved only inside the
 * workspace folders (a multi-root path starts with its folder's name); anything else is refused.
 */
export async function openReference(ref: Pick<OpenReference, "file" | "startLine" | "endLine">) {
  const uri = resolveInWorkspace(ref.file);
  if (!uri) {
    void vscode.window.showWarningMessage(`DynSplit: ${ref.file} is not inside the workspace`);
    return;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const start = Math.max(0, Math.min(doc.lineCount - 1, ref.startLine - 1));
  const end = Math.max(start, Math.min(doc.lineCount - 1, ref.endLine - 1));
  const range = new vscode.Range(start, 0, end, doc.lineAt(end).text.length);
  await vscode.window.showTextDocument(doc, {selection: range, preview: true});
}

export function resolveInWorkspace(rel: string): vscode.Uri | undefined {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file");
  const candidates: {root: string; rest: string}[] = [];
  if (folders.length > 1) {
    const [first, ...rest] = rel.split("/");
    const folder = folders.find((f) => path.basename(f.uri.fsPath) === first);
    if (folder) candidates.push({root: folder.uri.fsPath, rest: rest.join("/")});
  } else if (folders.length === 1) candidates.push({root: folders[0].uri.fsPath, rest: rel});
  for (const {root, rest} of candidates) {
    const abs = path.resolve(root, rest);
    if (abs.startsWith(root + path.sep)) return vscode.Uri.file(abs);
  }
  return undefined;
}
