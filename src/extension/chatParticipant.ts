import * as vscode from "vscode";
import type {Turn} from "../engine/session/promptFormat";
import {message, type EngineService} from "./engineService";

/**
 * `@dynsplit` in VS Code's native Chat, where it is available (it needs a Copilot sign-in; our own chat view does
 * not). Answers stream into the response, with the kept blocks as references.
 */
export function registerChatParticipant(context: vscode.ExtensionContext, engine: EngineService) {
  const chatApi = (vscode as unknown as {chat?: typeof vscode.chat}).chat;
  if (!chatApi?.createChatParticipant) return;
  const participant = chatApi.createChatParticipant("dynsplit.chat", async (request, ctx, stream, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    try {
      if (!engine.state.ingest) {
        stream.progress("Reading the workspace into context…");
        await engine.load({kind: "workspace"}, {signal: controller.signal});
      }
      const result = await engine.ask(request.prompt, {
        conversation: historyTurns(ctx.history),
        signal: controller.signal,
        onText: (t) => stream.markdown(t),
      });
      for (const ref of result.references) {
        const folder = vscode.workspace.workspaceFolders?.[0];
        if (!folder) break;
        stream.reference(
          new vscode.Location(
            vscode.Uri.joinPath(folder.uri, ref.file),
            new vscode.Range(Math.max(0, ref.startLine - 1), 0, Math.max(0, ref.endLine - 1), 0)
          )
        );
      }
    } catch (err) {
      stream.markdown(`**DynSplit:** ${message(err)}`);
    }
  });
  context.subscriptions.push(participant);
}

/** Native Chat's history of this participant as turns: each request with the markdown of its response. */
function historyTurns(history: vscode.ChatContext["history"]): Turn[] {
  const turns: Turn[] = [];
  for (let i = 0; i + 1 < history.length; i++) {
    const q = history[i];
    const a = history[i + 1];
    if (q instanceof vscode.ChatRequestTurn && a instanceof vscode.ChatResponseTurn)
      turns.push({
        question: q.prompt,
        answer: a.response.map((p) => (p instanceof vscode.ChatResponseMarkdownPart ? p.value.value : "")).join(""),
      });
  }
  return turns;
}
