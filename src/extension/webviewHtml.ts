import {randomBytes} from "node:crypto";
import * as vscode from "vscode";

/** Webviews may load only our own bundles and styles: `media/` and `dist/media/`. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, "media"), vscode.Uri.joinPath(extensionUri, "dist", "media")],
  };
}

/**
 * The page shell of every webview: a strict Content-Security-Policy (no inline script, scripts only with this
 * page's nonce, styles and images only from the extension), no network (`connect-src` unset: all data comes
 * through postMessage), and assets through `asWebviewUri`.
 */
export function webviewHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  page: {title: string; script: string; style: string; body: string}
): string {
  const nonce = randomBytes(16).toString("base64");
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "dist", "media", page.script));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "media", page.style));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>${page.title}</title>
</head>
<body>
${page.body}
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
