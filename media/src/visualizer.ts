import {buildTree, squarify, type TreeNode} from "./treemap";
import {formatBytes as bytes, savingText} from "../../src/core/kvMemory";
import {COMPARISON_METHODS, type MethodName} from "../../src/core/types";
import type {
  BlockMap,
  FileBlock,
  FromVisualizer,
  MapBlock,
  RepositoryMap,
  ToVisualizer,
  VisualizerWebviewState,
} from "../../src/extension/webviewProtocol";
import {el, onHostMessage, webviewApi} from "./vscodeApi";

type Block = MapBlock;
type LoadedMap = Extract<BlockMap, {empty?: false}>;

const vscode = webviewApi<FromVisualizer, VisualizerWebviewState>();

const root = document.getElementById("visualizer-root")!;
let repo: RepositoryMap | undefined;
/** Blocks of files the user opened (or all, for a small repository), by path. */
const fileBlocks = new Map<string, FileBlock[]>();
const requested = new Set<string>();

function requestBlocks(file: string) {
  if (fileBlocks.has(file) || requested.has(file)) return;
  requested.add(file);
  vscode.postMessage({type: "fileBlocks", file});
}
const restored = vscode.getState();
let zoom = restored?.zoom ?? ""; // the folder the treemap shows
let openedFile = restored?.openedFile ?? "";
/** Where the user was: kept across a reload (the serializer revives the panel, the page reads it back). */
function persist() {
  vscode.setState({zoom, openedFile});
}
/** Up to this many files the overview lists every file with its strip; beyond it, a treemap. */
const LIST_LIMIT = 36;
let current: BlockMap | undefined;
let compare: LoadedMap | undefined;
let comparing: MethodName | "" = "";
let errorText = "";

const SVG = "http://www.w3.org/2000/svg";

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

/** Horizontal bars on one scale: each row a label, a byte count and a CSS class. */
function bars(rows: [string, number, string][], label: string): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 400 ${rows.length * 26 + 2}`);
  svg.setAttribute("class", rows.length > 2 ? "memory-bar tall" : "memory-bar");
  svg.setAttribute("role", "img");
  const max = Math.max(...rows.map((r) => r[1]));
  rows.forEach(([text, value, cls], i) => {
    const rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("x", "0");
    rect.setAttribute("y", String(i * 26));
    rect.setAttribute("height", "20");
    const width = Math.max(2, (400 * value) / max);
    rect.setAttribute("width", String(width));
    rect.setAttribute("class", cls);
    const t = document.createElementNS(SVG, "text");
    // A label longer than its bar goes after it, in the text colour (inside, it would be cut off unseen).
    const fits = text.length * 6.5 + 12 <= width;
    t.setAttribute("x", String(fits ? 6 : width + 6));
    if (!fits) t.setAttribute("class", "outside");
    t.setAttribute("y", String(i * 26 + 14));
    t.textContent = text;
    svg.append(rect, t);
  });
  svg.setAttribute("aria-label", `${label}: ${rows.map((r) => r[0]).join(", ")}`);
  return svg;
}

function memoryBar(m: LoadedMap): SVGSVGElement {
  return bars(
    [
      [`full cache ${bytes(m.kvBytesFullCache)}`, m.kvBytesFullCache, "bar-full"],
      [`allocated ${bytes(m.kvBytesAllocated)}`, m.kvBytesAllocated, "bar-alloc"],
    ],
    "KV memory"
  );
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
  persist();
  root.replaceChildren();
  if (repo) return renderRepository(repo);
  if (!current || current.empty) {
    const load = el("button", {text: "Load Workspace into Context"});
    load.addEventListener("click", () => vscode.postMessage({type: "loadWorkspace"}));
    root.append(el("div", {class: "empty"}, el("p", {text: "Nothing is loaded yet."}), load));
    return;
  }
  const m = current;
  const totals = el(
    "div",
    {class: "totals", attrs: {id: "totals"}},
    el("div", {class: "big", text: `${m.tokensKept.toLocaleString()} / ${m.tokensRead.toLocaleString()} tokens kept`}),
    el("div", {
      text: `${m.method} · signal ${m.signal} · ${m.files} files · budget ${m.budgetTokens} tokens${m.fromCache ? " · from the persistent cache" : ""}`,
    }),
    el("div", {
      text: `KV memory: a full cache needs ${bytes(m.kvBytesFullCache)}, ${bytes(m.kvBytesAllocated)} allocated (${savingText(m.kvBytesFullCache, m.kvBytesAllocated)})`,
      attrs: {id: "memory-text"},
    }),
    memoryBar(m)
  );
  const methodSelect = el("select", {attrs: {"aria-label": "Compare with"}});
  for (const name of COMPARISON_METHODS) methodSelect.append(el("option", {text: name, attrs: {value: name}}));
  const compareButton = el("button", {text: comparing ? `Running ${comparing}…` : "Compare", attrs: {id: "compare"}});
  compareButton.disabled = !!comparing;
  compareButton.addEventListener("click", () => {
    const method = COMPARISON_METHODS.find((m) => m === methodSelect.value);
    if (method) vscode.postMessage({type: "compare", method});
  });
  const deco = el("button", {text: "Toggle editor decorations", class: "secondary"});
  deco.addEventListener("click", () => vscode.postMessage({type: "toggleDecorations"}));
  const tools = el("div", {class: "tools"}, el("span", {text: "Side by side with"}), methodSelect, compareButton, deco);
  const legend = el(
    "div",
    {class: "legend"},
    el("span", {text: "kept, by score: low"}),
    el("span", {class: "swatch scale"}),
    el("span", {text: "high"}),
    el("span", {class: "swatch evicted"}),
    el("span", {text: "evicted"})
  );
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
    section.append(
      el(
        "h3",
        {},
        el("span", {text: file}),
        el("span", {class: "pct", text: `${Math.round((100 * kept) / Math.max(1, total))}% kept · ${blocks.length} blocks`})
      )
    );
    section.append(el("div", {class: "strip-label", text: m.method}), strip(blocks, lo, hi, m.method));
    if (other && compare)
      section.append(
        el("div", {class: "strip-label", text: compare.method}),
        strip(other.get(file) ?? [], Math.min(...cScores), Math.max(...cScores), compare.method)
      );
    const details = el("details", {});
    details.append(el("summary", {text: "blocks"}));
    const table = el("table", {});
    table.append(el("tr", {}, ...["lines", "tokens", "score", "boundary", ""].map((h) => el("th", {text: h}))));
    for (const b of blocks) {
      const row = el("tr", {class: b.kept ? "kept" : "evicted"});
      row.append(
        el("td", {text: `${b.startLine}–${b.endLine}`}),
        el("td", {text: String(b.tokens)}),
        el("td", {text: b.score.toFixed(3)}),
        el("td", {class: "mono", text: showBoundary(b.boundary)}),
        el("td", {text: b.kept ? "kept" : "evicted"})
      );
      row.addEventListener("click", () => open(b));
      table.append(row);
    }
    details.append(table);
    section.append(details);
    root.append(section);
  }
}

function memoryBars(m: RepositoryMap): SVGSVGElement {
  return bars(
    [
      [`a full cache of the workspace ${bytes(m.kvBytesFullCache)}`, m.kvBytesFullCache, "bar-full"],
      [`block store on disk ${bytes(m.storeBytes)}`, m.storeBytes, "bar-store"],
      [`live KV allocated ${bytes(m.kvBytesAllocated)}`, m.kvBytesAllocated, "bar-alloc"],
    ],
    "memory"
  );
}

/** Share of a file's (or folder's) tokens in the answer's context → colour; nothing selected is grey. */
function shareColour(selected: number, total: number): string {
  if (selected <= 0 || total <= 0) return "var(--vscode-disabledForeground, #777)";
  return heat(Math.min(1, selected / total), 0, 1);
}

function renderRepository(m: RepositoryMap) {
  root.append(
    el(
      "div",
      {class: "totals", attrs: {id: "totals"}},
      el("div", {
        class: "big",
        text: `Repository memory: ${m.files.length.toLocaleString()} files · ${m.blocks.toLocaleString()} ${m.segmentation} blocks · ${m.tokensTotal.toLocaleString()} tokens`,
      }),
      el("div", {
        text: `each question gets up to ${m.budgetTokens.toLocaleString()} tokens of them (context ${m.contextSize}, ${m.placement ?? "prefill"} placement, scored by ${m.signal}) · ${m.fromStore ? "nothing re-read: all from the store" : `${m.tokensRead.toLocaleString()} tokens read into the store`}`,
      }),
      el("div", {
        attrs: {id: "memory-text"},
        text: `KV memory: a full cache of the workspace needs ${bytes(m.kvBytesFullCache)}, ${bytes(m.kvBytesAllocated)} allocated (${savingText(m.kvBytesFullCache, m.kvBytesAllocated)}); the store takes ${bytes(m.storeBytes)} on disk`,
      }),
      memoryBars(m)
    )
  );
  const a = m.answer;
  const answer = el("div", {class: "answer", attrs: {id: "answer-selection"}});
  if (a) {
    answer.append(
      el("div", {class: "question", text: `“${a.question}” → ${a.answer || "(no answer)"}`}),
      el("div", {
        text: `${a.blocksSelected} blocks from ${a.files} files selected, ${a.tokensKept} tokens in the context${a.firstTokenMs != null ? ` · first token after ${a.firstTokenMs.toFixed(0)} ms` : ""}`,
      })
    );
    const latest = el("button", {text: "Show the latest answer", class: "secondary"});
    latest.addEventListener("click", () => vscode.postMessage({type: "showLatest"}));
    answer.append(latest);
  } else answer.append(el("div", {text: "Ask a question in the chat: the blocks it selects from the whole workspace show here."}));
  root.append(answer);
  root.append(
    el(
      "div",
      {class: "legend"},
      el("span", {text: "share of a file in the answer's context: none"}),
      el("span", {class: "swatch evicted"}),
      el("span", {text: "low"}),
      el("span", {class: "swatch scale"}),
      el("span", {text: "all"})
    )
  );
  if (errorText) root.append(el("div", {class: "error", text: errorText}));
  if (m.files.length <= LIST_LIMIT) {
    for (const f of m.files) root.append(fileSection(f));
    for (const f of m.files) requestBlocks(f.path);
    return;
  }
  root.append(treemap(m));
  const opened = m.files.find((f) => f.path === openedFile);
  if (opened) root.append(fileSection(opened));
}

function fileSection(f: RepositoryMap["files"][number]): HTMLElement {
  const section = el("section", {class: "file", attrs: {"data-file": f.path}});
  section.append(
    el(
      "h3",
      {},
      el("span", {text: f.path}),
      el("span", {class: "pct", text: `${f.selectedBlocks.length} of ${f.blocks} blocks selected · ${f.tokens} tokens`})
    )
  );
  const blocks = fileBlocks.get(f.path);
  if (!blocks) {
    section.append(el("div", {class: "strip-label", text: "loading blocks…"}));
    return section;
  }
  const selected = new Set(f.selectedBlocks);
  const scores = blocks.map((b) => b.score);
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  section.append(
    strip(
      blocks.map((b, i) => ({
        file: f.path,
        startLine: b.startLine,
        endLine: b.endLine,
        tokens: b.tokens,
        kept: selected.has(i),
        score: b.score,
        boundary: "",
        preview: selected.has(i) ? "in the answer's context" : "not selected",
      })),
      lo,
      hi,
      f.path
    )
  );
  return section;
}

function treemap(m: RepositoryMap): HTMLElement {
  const tree = buildTree(m.files.map((f) => ({path: f.path, tokens: f.tokens, selected: f.selectedTokens})));
  let node: TreeNode = tree;
  for (const part of zoom ? zoom.split("/") : []) node = node.children?.find((c) => c.name === part && c.children) ?? node;
  const wrap = el("div", {class: "treemap-wrap"});
  const crumbs = el("div", {class: "crumbs"});
  const up = el("button", {text: zoom ? `↑ ${zoom}` : "workspace", class: "secondary"});
  up.disabled = !zoom;
  up.addEventListener("click", () => {
    zoom = zoom.includes("/") ? zoom.slice(0, zoom.lastIndexOf("/")) : "";
    render();
  });
  crumbs.append(up, el("span", {text: ` ${node.selected.toLocaleString()} of ${node.tokens.toLocaleString()} tokens selected here`}));
  wrap.append(crumbs);
  const W = 800;
  const H = 420;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "treemap");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `treemap of ${zoom || "the workspace"}: area = tokens, colour = share in the answer's context`);
  const draw = (n: TreeNode, x: number, y: number, w: number, h: number, depth: number) => {
    const kids = n.children ?? [];
    const rects = squarify(
      kids.map((k) => k.tokens),
      {x, y, w, h}
    );
    kids.forEach((k, i) => {
      const r = rects[i];
      if (r.w < 1 || r.h < 1) return;
      const g = document.createElementNS(SVG, "g");
      const rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("x", String(r.x + 0.5));
      rect.setAttribute("y", String(r.y + 0.5));
      rect.setAttribute("width", String(Math.max(0, r.w - 1)));
      rect.setAttribute("height", String(Math.max(0, r.h - 1)));
      rect.setAttribute("fill", shareColour(k.selected, k.tokens));
      rect.setAttribute("class", k.children ? "folder" : k.selected > 0 ? "file selected" : "file");
      rect.setAttribute("data-path", k.path);
      const title = document.createElementNS(SVG, "title");
      title.textContent = `${k.path}${k.children ? "/" : ""} · ${k.tokens.toLocaleString()} tokens · ${k.selected.toLocaleString()} selected`;
      rect.append(title);
      rect.addEventListener("click", (e) => {
        e.stopPropagation();
        if (k.children) zoom = k.path;
        else {
          openedFile = k.path;
          requestBlocks(k.path);
        }
        render();
      });
      g.append(rect);
      if (r.w > 60 && r.h > 14) {
        const label = document.createElementNS(SVG, "text");
        label.setAttribute("x", String(r.x + 3));
        label.setAttribute("y", String(r.y + 11));
        label.textContent = k.name.length * 6 > r.w ? k.name.slice(0, Math.max(1, Math.floor(r.w / 6) - 1)) + "…" : k.name;
        g.append(label);
      }
      svg.append(g);
      // One level of a folder's contents inside it, when there is room.
      if (k.children && depth === 0 && r.w > 40 && r.h > 30) draw(k, r.x + 2, r.y + 14, r.w - 4, r.h - 16, depth + 1);
    });
  };
  draw(node, 0, 0, W, H, 0);
  wrap.append(svg);
  return wrap;
}

onHostMessage<ToVisualizer>((msg) => {
  switch (msg.type) {
    case "repository":
      // Another workspace, or the same one re-read: block lists fetched before may be stale.
      if (!repo || repo.blocks !== msg.blocks || repo.tokensTotal !== msg.tokensTotal) {
        fileBlocks.clear();
        requested.clear();
      }
      repo = msg;
      errorText = "";
      if (openedFile) requestBlocks(openedFile);
      break;
    case "fileBlocks":
      requested.delete(msg.file);
      fileBlocks.set(msg.file, msg.blocks);
      break;
    case "blocks":
      if (msg.label === "compare") {
        compare = msg.empty ? undefined : msg;
        comparing = "";
      } else {
        // The compressed stream's block map (once/reread) replaces the repository view.
        repo = undefined;
        fileBlocks.clear();
        requested.clear();
        current = msg;
      }
      errorText = "";
      break;
    case "comparing":
      comparing = msg.method;
      break;
    case "error":
      comparing = "";
      errorText = msg.message;
      break;
  }
  render();
});

vscode.postMessage({type: "ready"});
