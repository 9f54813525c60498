import {el, vscode} from "./vscodeApi";

interface Block {
  file: string;
  startLine: number;
  endLine: number;
  tokens: number;
  kept: boolean;
  score: number;
  boundary: string;
  preview: string;
}
interface BlockMap {
  type: "blocks";
  label: "current" | "compare";
  empty?: boolean;
  method: string;
  signal: string;
  tokensRead: number;
  tokensKept: number;
  budgetTokens: number;
  kvBytesAllocated: number;
  kvBytesFullCache: number;
  kvBytesInUse: number;
  files: number;
  fromCache: boolean;
  skippedByReason: Record<string, number>;
  blocks: Block[];
}

const root = document.getElementById("visualizer-root")!;
let current: BlockMap | undefined;
let compare: BlockMap | undefined;
let comparing = "";
let errorText = "";

const SVG = "http://www.w3.org/2000/svg";

function bytes(n: number): string {
  const u = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

/** Delimiters are mostly whitespace: show them visibly. */
function showBoundary(b: string): string {
  const t = b.replace(/\n/g, "⏎").replace(/\t/g, "⇥").replace(/ /g, "·");
  return t.length > 12 ? t.slice(0, 12) + "…" : t || "∅";
}

/** Score → colour on a cool-to-hot scale (normalised over the map). */
function heat(score: number, lo: number, hi: number): string {
  const t = hi > lo ? (score - lo) / (hi - lo) : 0.5;
  return `hsl(${Math.round(220 - 200 * t)}, 70%, ${Math.round(42 + 10 * t)}%)`;
}

function memoryBar(m: BlockMap): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 400 54");
  svg.setAttribute("class", "memory-bar");
  svg.setAttribute("role", "img");
  const max = Math.max(m.kvBytesFullCache, m.kvBytesAllocated);
  const rows: [string, number, string][] = [
    [`full cache ${bytes(m.kvBytesFullCache)}`, m.kvBytesFullCache, "bar-full"],
    [`allocated ${bytes(m.kvBytesAllocated)}`, m.kvBytesAllocated, "bar-alloc"],
  ];
  rows.forEach(([label, value, cls], i) => {
    const rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("x", "0");
    rect.setAttribute("y", String(i * 26));
    rect.setAttribute("height", "20");
    rect.setAttribute("width", String(Math.max(2, (400 * value) / max)));
    rect.setAttribute("class", cls);
    const text = document.createElementNS(SVG, "text");
    text.setAttribute("x", "6");
    text.setAttribute("y", String(i * 26 + 14));
    text.textContent = label;
    svg.append(rect, text);
  });
  svg.setAttribute("aria-label", `KV memory: ${rows.map((r) => r[0]).join(", ")}`);
  return svg;
}

function strip(blocks: Block[], lo: number, hi: number, label: string): HTMLElement {
  const s = el("div", {class: "strip", attrs: {"aria-label": `${label} retention strip`}});
  for (const b of blocks) {
    const cell = el("div", {
      class: `block ${b.kept ? "kept" : "evicted"}`,
      title: `${b.file}:${b.startLine}–${b.endLine} · ${b.tokens} tokens · score ${b.score.toFixed(3)} · boundary ${showBoundary(b.boundary)}\n${b.preview}`,
      attrs: {"data-file": b.file, "data-start": String(b.startLine), "data-end": String(b.endLine)},
    });
    cell.style.flexGrow = String(b.tokens);
    if (b.kept) cell.style.background = heat(b.score, lo, hi);
    cell.addEventListener("click", () => open(b));
    s.append(cell);
  }
  return s;
}

function open(b: Block) {
  vscode.postMessage({type: "openReference", file: b.file, startLine: Math.max(1, b.startLine), endLine: Math.max(1, b.endLine)});
}

function byFile(blocks: Block[]): Map<string, Block[]> {
  const m = new Map<string, Block[]>();
  for (const b of blocks) {
    const list = m.get(b.file) ?? [];
    list.push(b);
    m.set(b.file, list);
  }
  for (const list of m.values()) list.sort((a, b) => a.startLine - b.startLine || a.endLine - b.endLine);
  return m;
}

function render() {
  root.replaceChildren();
  if (!current || current.empty) {
    const load = el("button", {text: "Load Workspace into Context"});
    load.addEventListener("click", () => vscode.postMessage({type: "loadWorkspace"}));
    root.append(el("div", {class: "empty"}, el("p", {text: "Nothing is loaded yet."}), load));
    return;
  }
  const m = current;
  const ratio = m.kvBytesFullCache / Math.max(1, m.kvBytesAllocated);
  const totals = el(
    "div",
    {class: "totals", attrs: {id: "totals"}},
    el("div", {class: "big", text: `${m.tokensKept.toLocaleString()} / ${m.tokensRead.toLocaleString()} tokens kept`}),
    el("div", {text: `${m.method} · signal ${m.signal} · ${m.files} files · budget ${m.budgetTokens} tokens${m.fromCache ? " · from the persistent cache" : ""}`}),
    el("div", {text: `KV memory: a full cache needs ${bytes(m.kvBytesFullCache)}, ${bytes(m.kvBytesAllocated)} allocated (${ratio.toFixed(1)}× less)`, attrs: {id: "memory-text"}}),
    memoryBar(m)
  );
  const methodSelect = el("select", {attrs: {"aria-label": "Compare with"}});
  for (const name of ["chunkkv", "streaming", "snapkv", "delimiter", "random"]) methodSelect.append(el("option", {text: name, attrs: {value: name}}));
  const compareButton = el("button", {text: comparing ? `Running ${comparing}…` : "Compare", attrs: {id: "compare"}});
  compareButton.disabled = !!comparing;
  compareButton.addEventListener("click", () => vscode.postMessage({type: "compare", method: methodSelect.value}));
  const deco = el("button", {text: "Toggle editor decorations", class: "secondary"});
  deco.addEventListener("click", () => vscode.postMessage({type: "toggleDecorations"}));
  const tools = el("div", {class: "tools"}, el("span", {text: "Side by side with"}), methodSelect, compareButton, deco);
  const legend = el("div", {class: "legend"}, el("span", {class: "swatch cold"}), el("span", {text: "low score"}), el("span", {class: "swatch hot"}), el("span", {text: "high score"}), el("span", {class: "swatch evicted"}), el("span", {text: "evicted"}));
  root.append(totals, tools, legend);
  if (errorText) root.append(el("div", {class: "error", text: errorText}));

  const scores = m.blocks.map((b) => b.score);
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  const files = byFile(m.blocks);
  const other = compare ? byFile(compare.blocks) : undefined;
  const cScores = compare?.blocks.map((b) => b.score) ?? [];
  for (const [file, blocks] of files) {
    const kept = blocks.filter((b) => b.kept).reduce((a, b) => a + b.tokens, 0);
    const total = blocks.reduce((a, b) => a + b.tokens, 0);
    const section = el("section", {class: "file"});
    section.append(el("h3", {}, el("span", {text: file}), el("span", {class: "pct", text: `${Math.round((100 * kept) / Math.max(1, total))}% kept · ${blocks.length} blocks`})));
    section.append(el("div", {class: "strip-label", text: m.method}), strip(blocks, lo, hi, m.method));
    if (other && compare) section.append(el("div", {class: "strip-label", text: compare.method}), strip(other.get(file) ?? [], Math.min(...cScores), Math.max(...cScores), compare.method));
    const details = el("details", {});
    details.append(el("summary", {text: "blocks"}));
    const table = el("table", {});
    table.append(el("tr", {}, ...["lines", "tokens", "score", "boundary", ""].map((h) => el("th", {text: h}))));
    for (const b of blocks) {
      const row = el("tr", {class: b.kept ? "kept" : "evicted"});
      row.append(el("td", {text: `${b.startLine}–${b.endLine}`}), el("td", {text: String(b.tokens)}), el("td", {text: b.score.toFixed(3)}), el("td", {class: "mono", text: showBoundary(b.boundary)}), el("td", {text: b.kept ? "kept" : "evicted"}));
      row.addEventListener("click", () => open(b));
      table.append(row);
    }
    details.append(table);
    section.append(details);
    root.append(section);
  }
}

window.addEventListener("message", (event: MessageEvent) => {
  const msg = event.data;
  if (msg?.type === "blocks") {
    if (msg.label === "compare") {
      compare = msg as BlockMap;
      comparing = "";
    } else current = msg as BlockMap;
    errorText = "";
    render();
  } else if (msg?.type === "comparing") {
    comparing = msg.method;
    render();
  } else if (msg?.type === "error") {
    comparing = "";
    errorText = msg.message;
    render();
  }
});

vscode.postMessage({type: "ready"});
