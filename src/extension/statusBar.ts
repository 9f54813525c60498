import * as vscode from "vscode";
import {formatBytes} from "../core/kvMemory";
import type {EngineState} from "./engineService";

/** Model · method · tokens kept/read · KV memory; a click opens the visualizer. */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("dynsplit.status", vscode.StatusBarAlignment.Right, 100);

  constructor() {
    this.item.name = "DynSplit Chat";
    this.item.command = "dynsplit.showBlocks";
    this.render({phase: "stopped"});
    this.item.show();
  }

  render(s: EngineState) {
    const i = s.ingest;
    const icon =
      s.phase === "crashed"
        ? "$(error)"
        : s.phase === "ingesting" || s.phase === "loading-model" || s.phase === "answering"
          ? "$(sync~spin)"
          : "$(symbol-structure)";
    const parts = [`${icon} DynSplit`];
    if (i?.answerFrom === "memory")
      parts.push(`memory · ${compact(i.tokensKept)} of ${compact(i.tokensTotal)} tok · ${formatBytes(i.memory.kvBytesAllocated)}`);
    else if (i)
      parts.push(`${i.method} · ${compact(i.tokensKept)}/${compact(i.tokensRead)} tok · ${formatBytes(i.memory.kvBytesAllocated)}`);
    else if (s.progress) parts.push(`reading ${compact(s.progress.tokensRead)}/${compact(s.progress.tokensTotal)} tok`);
    else if (s.model) parts.push(s.model.demo ? `${s.model.name} (demo model)` : s.model.name);
    if (s.model) parts.push(`· ${where(s.model)}${i ? ` · ${i.signal}` : ""}`);
    if (s.model && s.model.capability !== "supported") parts.push(`(${s.model.capability})`);
    this.item.text = parts.join(" ");
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**DynSplit Chat** — ${s.phase}\n\n`);
    if (s.model) {
      md.appendMarkdown(
        `Model: \`${s.model.name}\` (${s.model.architecture}, ${s.model.binary}${s.model.hasProbe ? ", KV hook" : ""}) — **${s.model.capability}**\n\n` +
          `Runs on ${s.model.backend === "cpu" ? "the CPU" : `${s.model.backend.toUpperCase()}, ${s.model.gpuLayers} layers offloaded`}` +
          `${i ? `; importance signal \`${i.signal}\`` : ""}\n\n`
      );
      if (s.model.capabilityReason) md.appendText(`${s.model.capabilityReason}\n\n`);
      if (s.model.hookNote) md.appendText(`KV hook: ${s.model.hookNote}\n\n`);
      if (s.model.demo)
        md.appendMarkdown(
          `The bundled **demo model** answers planted-fact questions only; pick a real GGUF with **DynSplit: Select Model**.\n\n`
        );
    }
    if (i?.answerFrom === "memory" && i.store)
      md.appendMarkdown(
        `Repository memory: ${i.files} files, ${i.store.blocks} \`${i.store.segmentation}\` blocks, ${i.tokensTotal} tokens; store ${formatBytes(i.store.bytes)} on disk\n\n` +
          `Each question: up to ${i.tokensKept} tokens, scored by \`${i.signal}\`, \`${i.store.placement}\` placement\n\n` +
          `KV allocated ${formatBytes(i.memory.kvBytesAllocated)}; a full cache of the workspace would need ${formatBytes(i.memory.kvBytesFullCache)}\n\n`
      );
    else if (i)
      md.appendMarkdown(
        `Method \`${i.method}\`, signal \`${i.signal}\`\n\nTokens kept ${i.tokensKept} of ${i.tokensRead} read\n\n` +
          `KV allocated ${formatBytes(i.memory.kvBytesAllocated)}; a full cache would need ${formatBytes(i.memory.kvBytesFullCache)}\n\n`
      );
    if (s.error) md.appendMarkdown(`⚠ ${s.error}\n\n`);
    md.appendMarkdown(`Click to show the semantic blocks.`);
    this.item.tooltip = md;
    this.item.backgroundColor = s.phase === "crashed" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  dispose() {
    this.item.dispose();
  }
}

/** The backend and, once something is read, the signal: e.g. "CPU · keyNorm", "CUDA · attention+query". */
function where(m: NonNullable<EngineState["model"]>): string {
  return m.backend === "cpu" ? "CPU" : `${m.backend.toUpperCase()} ${m.gpuLayers}L`;
}

function compact(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(0)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}
