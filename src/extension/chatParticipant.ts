import * as vscode from "vscode";
import {message, type EngineService} from "./engineService";

/**
 * `@dynsplit` in VS Code's native Chat, where it is available (it needs a Copilot sign-in; our own chat view does
 * not). Answers stream into the response, with the kept blocks as references.
 */
export function registerChatParticipant(context: vscode.ExtensionContext, engine: EngineService) {
  const chatApi = (vscode as unknown as {chat?: typeof vscode.chat}).chat;
  if (!chatApi?.createChatParticipant) return;
  const participant = chatApi.createChatParticipant("dynsplit.chat", async (request, _ctx, stream, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    try {
      if (!engine.state.ingest) {
        stream.progress("Reading the workspace into context…");
        await engine.load({kind: "workspace"}, {signal: controller.signal});
      }
      const result = await engine.ask(request.prompt, {signal: controller.signal, onText: (t) => stream.markdown(t)});
      for (const ref of result.references) {
        const folder = vscode.workspace.workspaceFolders?.[0];
        if (!folder) break;
        stream.reference(new vscode.Location(vscode.Uri.joinPath(folder.uri, ref.file), new vscode.Range(Math.max(0, ref.startLine - 1), 0, Math.max(0, ref.endLine - 1), 0)));
      }
    } catch (err) {
      stream.markdown(`**DynSplit:** ${message(err)}`);
    }
  });
  context.subscriptions.push(participant);
}
