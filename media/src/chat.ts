import DOMPurify from "dompurify";
import {marked} from "marked";
import {
  CHAT_SCOPES,
  type ChatEntry,
  type ChatScope,
  type ChatViewState,
  type ChatWebviewState,
  type FromChat,
  type ToChat,
} from "../../src/extension/webviewProtocol";
import {el, onHostMessage, webviewApi} from "./vscodeApi";

const vscode = webviewApi<FromChat, ChatWebviewState>();

const root = document.getElementById("chat-root")!;
const header = el("div", {class: "header"});
const log = el("div", {class: "log", attrs: {role: "log", "aria-live": "polite"}});
const scopeSelect = el("select", {class: "scope", title: "What the model reads", attrs: {"aria-label": "Context"}});
const SCOPE_LABELS: Record<ChatScope, string> = {workspace: "Workspace", file: "Current file", selection: "Selection"};
for (const value of CHAT_SCOPES) scopeSelect.append(el("option", {text: SCOPE_LABELS[value], attrs: {value}}));
const selectedScope = (): ChatScope => CHAT_SCOPES.find((s) => s === scopeSelect.value) ?? "workspace";
const input = el("textarea", {
  class: "input",
  attrs: {rows: "3", placeholder: "Ask about the workspace… (Enter to send, Shift+Enter for a new line)", "aria-label": "Question"},
});
const send = el("button", {class: "send", text: "Send", attrs: {id: "send"}});
const stop = el("button", {class: "stop", text: "Stop", attrs: {id: "stop"}});
stop.hidden = true;
const composer = el("div", {class: "composer"}, input, el("div", {class: "row"}, scopeSelect, stop, send));
root.append(header, log, composer);

let streaming: HTMLElement | undefined;
let streamedText = "";
let busy = false;
const saved = vscode.getState();
if (saved?.draft) input.value = saved.draft;
if (saved?.scope) scopeSelect.value = saved.scope;

function persist() {
  vscode.setState({draft: input.value, scope: selectedScope()});
}

function renderMarkdown(text: string): HTMLElement {
  const div = el("div", {class: "markdown"});
  // Answers are model output: render Markdown, then sanitise before it touches the DOM.
  div.innerHTML = DOMPurify.sanitize(marked.parse(text, {async: false}) as string);
  return div;
}

function renderEntry(e: ChatEntry): HTMLElement {
  const node = el("div", {class: `entry ${e.role}`, attrs: {"data-id": e.id}});
  if (e.role === "assistant") {
    node.append(renderMarkdown(e.text));
    if (e.stoppedBy === "cancelled") node.append(el("div", {class: "note", text: "stopped"}));
    if (e.turnsDropped)
      node.append(
        el("div", {
          class: "note",
          text: `the ${e.turnsDropped} oldest turn${e.turnsDropped > 1 ? "s" : ""} left the model's context to make room (still shown here)`,
        })
      );
    if (e.selection?.length) {
      const blocks = e.selection.reduce((a, f) => a + f.blocks.length, 0);
      const tokens = e.selection.reduce((a, f) => a + f.tokens, 0);
      const show = el("a", {
        class: "selection",
        text: `${blocks} blocks from ${e.selection.length} files (${tokens} tokens)${e.firstTokenMs != null ? ` · ${e.firstTokenMs.toFixed(0)} ms to the first token` : ""}`,
        attrs: {href: "#", title: "Show which blocks of the workspace this answer was given"},
      });
      show.addEventListener("click", (ev) => {
        ev.preventDefault();
        vscode.postMessage({type: "showBlocks", entryId: e.id});
      });
      node.append(el("div", {class: "note"}, show));
    }
    if (e.references?.length) {
      const refs = el(
        "div",
        {class: "references"},
        el("span", {class: "label", text: e.answerFrom === "memory" ? "From selected blocks:" : "From kept blocks:"})
      );
      for (const r of e.references) {
        const a = el("a", {
          class: "reference",
          text: `${r.file}:${r.startLine}–${r.endLine}`,
          attrs: {href: "#", title: `score ${r.score.toFixed(3)}`},
        });
        a.addEventListener("click", (ev) => {
          ev.preventDefault();
          vscode.postMessage({type: "openReference", file: r.file, startLine: r.startLine, endLine: r.endLine});
        });
        refs.append(a);
      }
      node.append(refs);
    }
  } else if (e.role === "error") {
    node.append(el("div", {text: e.text}));
    if (e.action) {
      const action = e.action;
      const b = el("button", {text: action === "restartEngine" ? "Restart Engine" : "Load Workspace", class: "action"});
      b.addEventListener("click", () => vscode.postMessage({type: action}));
      node.append(b);
    }
  } else {
    node.append(el("div", {text: e.text}));
    if (e.scope && e.scope !== "workspace")
      node.append(el("div", {class: "note", text: e.scope === "file" ? "about the current file" : "about the selection"}));
  }
  return node;
}

function append(node: HTMLElement) {
  log.append(node);
  log.scrollTop = log.scrollHeight;
}

function renderState(s: ChatViewState) {
  header.replaceChildren();
  const line1 = el(
    "div",
    {class: "title"},
    el("strong", {text: s.model ?? "no model loaded"}),
    el("span", {class: `phase ${s.phase}`, text: s.phase})
  );
  header.append(line1);
  if (s.progress) {
    const p = s.progress;
    const eta = p.etaMs != null && p.tokensRead < p.tokensTotal ? ` · about ${Math.max(1, Math.round(p.etaMs / 1000))} s left` : "";
    header.append(
      el("div", {
        class: "meta",
        text: `reading ${p.filesRead}/${p.filesTotal} files · ${p.tokensRead}/${p.tokensTotal} tokens${p.tokensKept ? ` · ${p.tokensKept} kept` : ""}${eta}`,
      })
    );
  } else if (s.tokensRead != null)
    header.append(
      el("div", {
        class: "meta",
        attrs: {id: "context-meta"},
        text:
          s.answerFrom === "memory"
            ? `repository memory · ${s.tokensTotal} tokens in the store (${s.storeBytes}) · up to ${s.tokensKept} tokens kept per question · KV ${s.kvAllocated} (full cache ${s.kvFullCache})`
            : `${s.method} · ${s.signal} · ${s.tokensKept}/${s.tokensRead} tokens kept · KV ${s.kvAllocated} (full cache ${s.kvFullCache})`,
      })
    );
  else {
    const load = el("button", {class: "link", text: "Load the workspace into context"});
    load.addEventListener("click", () => vscode.postMessage({type: "loadWorkspace"}));
    header.append(el("div", {class: "meta"}, load));
  }
  const blocks = el("button", {class: "link", text: "Show semantic blocks"});
  blocks.addEventListener("click", () => vscode.postMessage({type: "showBlocks"}));
  header.append(blocks);
  if (s.error) header.append(el("div", {class: "error", text: s.error}));
  if (s.phase === "crashed") {
    const b = el("button", {class: "action", text: "Restart Engine"});
    b.addEventListener("click", () => vscode.postMessage({type: "restartEngine"}));
    header.append(b);
  }
}

function setBusy(value: boolean) {
  busy = value;
  send.disabled = value;
  stop.hidden = !value;
}

function submit() {
  const text = input.value.trim();
  if (!text || busy) return;
  setBusy(true);
  vscode.postMessage({type: "ask", text, scope: selectedScope()});
  input.value = "";
  persist();
}

send.addEventListener("click", submit);
stop.addEventListener("click", () => vscode.postMessage({type: "stop"}));
input.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    submit();
  }
});
input.addEventListener("input", persist);
scopeSelect.addEventListener("change", persist);

onHostMessage<ToChat>((msg) => {
  switch (msg.type) {
    case "history":
      log.replaceChildren(...msg.entries.map(renderEntry));
      log.scrollTop = log.scrollHeight;
      break;
    case "state":
      renderState(msg.state);
      break;
    case "entry": {
      const e = msg.entry;
      if (e.role === "user") setBusy(true);
      if (streaming && (e.role === "assistant" || e.role === "error")) {
        streaming.replaceWith(renderEntry(e));
        streaming = undefined;
      } else append(renderEntry(e));
      break;
    }
    case "answerStart":
      streamedText = "";
      streaming = el("div", {class: "entry assistant streaming", attrs: {"data-id": msg.id}});
      append(streaming);
      break;
    case "answerText":
      if (streaming) {
        streamedText += msg.text;
        streaming.replaceChildren(renderMarkdown(streamedText));
        log.scrollTop = log.scrollHeight;
      }
      break;
    case "answerEnd":
      setBusy(false);
      break;
  }
});

vscode.postMessage({type: "ready"});
