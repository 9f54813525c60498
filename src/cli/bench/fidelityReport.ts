/**
 * The fidelity bench's tables (Markdown, every figure with its 95 % interval) and plots (SVG line charts of accuracy
 * against budget, one needle-depth × context-length heat map per method), from a FidelityResult or its JSON.
 */
import {writeFileSync} from "node:fs";
import path from "node:path";
import {VALUE_KINDS} from "../../corpus";
import type {FidelityResult, FidelityRow, HeatmapCell} from "./fidelity";
import {heatMap, lineChart, type Series} from "./svgPlot";
import type {Share} from "./tally";

const pct = (x: number | null) => (x == null || !Number.isFinite(x) ? "–" : `${Math.round(100 * x)}%`);

/** "83% [75–89]", or "–" for an empty cell. */
export function withInterval(s: Share | undefined): string {
  if (!s || !s.n) return "–";
  return `${pct(s.accuracy)} [${Math.round(100 * s.ci95[0])}–${Math.round(100 * s.ci95[1])}]`;
}

const budgetLabel = (b: number) => `${Math.round(100 * b)} %`;

function budgetsOf(rows: readonly FidelityRow[]): number[] {
  return [...new Set(rows.filter((r) => r.role !== "reference").map((r) => r.budget))].sort((a, b) => a - b);
}

function labelsOf(rows: readonly FidelityRow[]): string[] {
  return [...new Set(rows.map((r) => r.label))];
}

/** The full cache keeps everything: its one figure stands in every budget column. */
function cellAt(rows: readonly FidelityRow[], label: string, budget: number): FidelityRow | undefined {
  return rows.find((r) => r.label === label && (r.budget === budget || r.role === "reference"));
}

function methodTable(rows: readonly FidelityRow[], extra?: {title: string; value: (rs: FidelityRow[]) => string}): string[] {
  const budgets = budgetsOf(rows);
  const out = [
    `| method | ${budgets.map(budgetLabel).join(" | ")}${extra ? ` | ${extra.title}` : ""} |`,
    `|---|${budgets.map(() => "---").join("|")}${extra ? "|---" : ""}|`,
  ];
  for (const label of labelsOf(rows)) {
    const cells = budgets.map((b) => withInterval(cellAt(rows, label, b)));
    const more = extra ? ` | ${extra.value(rows.filter((r) => r.label === label))}` : "";
    out.push(`| ${label} | ${cells.join(" | ")}${more} |`);
  }
  return out;
}

/** Accuracy per value kind, one table per budget (the ablations left out: they are about segmentation, not kinds). */
function kindTables(all: readonly FidelityRow[]): string[] {
  const out: string[] = [];
  const rows = all.filter((r) => r.role !== "ablation");
  const seen = new Set(rows.flatMap((r) => r.byKind.map((k) => k.kind)));
  const kinds = [...VALUE_KINDS.filter((k) => seen.has(k)), ...[...seen].filter((k) => !(VALUE_KINDS as readonly string[]).includes(k))];
  for (const b of budgetsOf(rows)) {
    const at = labelsOf(rows)
      .map((l) => cellAt(rows, l, b))
      .filter((r): r is FidelityRow => r != null);
    out.push(
      `Per value kind at ${budgetLabel(b)}:`,
      "",
      `| method | ${kinds.join(" | ")} |`,
      `|---|${kinds.map(() => "---").join("|")}|`,
      ...at.map((r) => `| ${r.label} | ${kinds.map((k) => withInterval(r.byKind.find((x) => x.kind === k))).join(" | ")} |`),
      ""
    );
  }
  return out;
}

const meanOf = (rs: FidelityRow[], f: (r: FidelityRow) => number) => rs.reduce((a, r) => a + f(r), 0) / Math.max(1, rs.length);

export function renderFidelityReport(result: FidelityResult, codeRoot?: string): string[] {
  const rows = result.rows;
  const signal = [...new Set(rows.filter((r) => r.role !== "reference" && r.answerFrom === "once").map((r) => r.signal))].join(", ");
  const lines = [
    "## Retrieval accuracy vs KV budget",
    "",
    `Fresh cases on real code${codeRoot ? ` (${codeRoot})` : ""} that the model never trained on: excerpts of several files per ` +
      `context, multi-token facts \`const {key} = {value};\` planted among distractors whose keys share the fact key's prefix or ` +
      `suffix. Accuracy with 95 % Wilson intervals; budget = share of the tokens read that stays in the KV cache; ` +
      `${result.charsPerToken.toFixed(2)} characters per token; signal ${signal || "–"}; ${(result.seconds / 60).toFixed(1)} min in all.`,
    "",
    "Baselines as their papers run them: ChunkKV with 10- and 20-token chunks; SnapKV with pooling kernel 5 and, " +
      "without the question, a 64-query observation window (kvpress); with the question, every scored method's " +
      "observation window is the question. DynSplit: C 16, Δ 8, α 1, uniform mapping on; each ablation changes one.",
    "",
  ];
  const aware = rows.filter((r) => r.suite === "query-aware");
  if (aware.length) {
    const v = aware.filter((r) => r.question === "value");
    const f = aware.filter((r) => r.question === "file");
    lines.push(
      `### Multi-token values, query-aware (n = ${v[0].n} per cell, ${v[0].contextTokens}-token contexts, ${Math.round(meanOf(v, (r) => r.meanTokensRead))} tokens read on average)`,
      "",
      "One fact per context (value kinds and key shapes in turn, depths spread evenly), 4 distractors; each context is " +
        "compressed once, steered by the value question, then asked `Q: {key} =` (the whole value must come back).",
      "",
      ...methodTable(v, {
        title: "compress time per read",
        value: (rs) => (rs[0].role === "reference" ? "–" : `${meanOf(rs, (r) => r.meanCompressMs).toFixed(1)} ms`),
      }),
      "",
      ...kindTables(v),
      `### File questions, query-aware (n = ${f[0]?.n ?? 0} per cell)`,
      "",
      "The same compressed contexts, asked `Q: file of {key} is`; answers compared as paths: does the kept block still " + "know its file?",
      "",
      ...methodTable(f),
      ""
    );
  }
  const agnostic = rows.filter((r) => r.suite === "agnostic");
  if (agnostic.length) {
    const v = agnostic.filter((r) => r.question === "value");
    const f = agnostic.filter((r) => r.question === "file");
    const reads = v.find((r) => r.role !== "memory")?.reads ?? v[0].reads;
    lines.push(
      `### Many questions after one compression, query-agnostic (n = ${v[0].n} per cell, ${v[0].contextTokens}-token contexts)`,
      "",
      `${reads} workspace${reads === 1 ? "" : "s"} of ${Math.round(v[0].n / Math.max(1, reads))} facts each (2 distractors per fact), each compressed ` +
        "**once** without any question, then every fact asked (value, then file). The facts of one workspace share a " +
        "compression, so the intervals (which assume independent answers) are somewhat optimistic. `memory:` rows read " +
        "each workspace once into the repository memory and choose a context of the same budget per question.",
      "",
      "Values:",
      "",
      ...methodTable(v, {title: "first token", value: (rs) => `${meanOf(rs, (r) => r.meanFirstTokenMs).toFixed(0)} ms`}),
      "",
      "Files:",
      "",
      ...methodTable(f),
      "",
      ...kindTables(v)
    );
  }
  if (result.heatmap) {
    const h = result.heatmap;
    const labels = [...new Set(h.cells.map((c) => c.label))];
    const n = h.cells[0]?.n ?? 0;
    lines.push(
      `### Needle depth × context length (query-aware, ${budgetLabel(h.budget)} budget, n = ${n} per cell)`,
      "",
      `DynSplit, the most accurate baseline of the query-aware suite at this budget (${h.baseline}) and the full cache.`,
      ""
    );
    for (const label of labels) {
      const cs = h.cells.filter((c) => c.label === label);
      const buckets = [...new Set(cs.map((c) => c.bucket))];
      lines.push(
        `${label}:`,
        "",
        `| context (tokens read) | ${buckets.join(" | ")} |`,
        `|---|${buckets.map(() => "---").join("|")}|`,
        ...contextsOf(cs).map(
          (ctx) =>
            `| ${ctx} (${Math.round(meanTokens(cs, ctx))}) | ${buckets.map((b) => withInterval(cs.find((c) => c.contextTokens === ctx && c.bucket === b))).join(" | ")} |`
        ),
        "",
        `![needle depth × context, ${label}](${heatmapFile(label)})`,
        ""
      );
    }
  }
  lines.push(...caveats(rows));
  for (const plot of budgetPlots(rows)) lines.push(`![${plot.file.replace(/\.svg$/, "")}](${plot.file})`, "");
  return lines;
}

/** Reads the engine refused (counted wrong) and kept contexts longer than the model handles, said once per row. */
function caveats(rows: readonly FidelityRow[]): string[] {
  const out: string[] = [];
  for (const r of rows.filter((x) => x.question === "value")) {
    const at = `${r.suite} ${r.label}${r.role === "reference" ? "" : ` at ${budgetLabel(r.budget)}`}`;
    if (r.failedReads)
      out.push(
        `- ${at}: ${r.failedReads} of ${r.reads} reads refused (the budget is smaller than the pinned file headers); their answers count as wrong.`
      );
    if (r.beyondModelContext) out.push(`- ${at}: ${r.beyondModelContext} of ${r.reads} kept contexts are longer than the model handles.`);
  }
  return out.length ? ["Caveats:", "", ...out, ""] : [];
}

function contextsOf(cs: readonly HeatmapCell[]): number[] {
  return [...new Set(cs.map((c) => c.contextTokens))].sort((a, b) => a - b);
}

function meanTokens(cs: readonly HeatmapCell[], ctx: number): number {
  const at = cs.filter((c) => c.contextTokens === ctx);
  return at.reduce((a, c) => a + c.meanTokensRead, 0) / Math.max(1, at.length);
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

export const heatmapFile = (label: string) => `needle-depth-context-${slug(label)}.svg`;

/** One chart per suite and question: every method and the memory against budget, the full cache as a flat line. */
function budgetPlots(rows: readonly FidelityRow[]): {file: string; title: string; rows: FidelityRow[]}[] {
  const out: {file: string; title: string; rows: FidelityRow[]}[] = [];
  for (const suite of ["query-aware", "agnostic"] as const)
    for (const question of ["value", "file"] as const) {
      const rs = rows.filter((r) => r.suite === suite && r.question === question && r.role !== "ablation");
      if (rs.length)
        out.push({
          file: `accuracy-vs-budget-${question}s-${suite === "query-aware" ? "aware" : "agnostic"}.svg`,
          title: `${question === "value" ? "Values" : "Files"}, ${suite} (${rs[0].contextTokens} tokens)`,
          rows: rs,
        });
    }
  return out;
}

/** Writes every plot of the report into `out`; returns their file names. */
export function writeFidelityPlots(out: string, result: FidelityResult): string[] {
  const written: string[] = [];
  for (const p of budgetPlots(result.rows)) {
    const budgets = budgetsOf(p.rows);
    const series: Series[] = labelsOf(p.rows)
      .filter((l) => p.rows.some((r) => r.label === l && r.role !== "reference"))
      .map((l) => ({
        name: l,
        points: p.rows.filter((r) => r.label === l).map((r) => ({x: r.budget, y: r.accuracy, lo: r.ci95[0], hi: r.ci95[1]})),
      }));
    const full = p.rows.find((r) => r.role === "reference");
    if (full) series.push({name: full.label, points: budgets.map((b) => ({x: b, y: full.accuracy}))});
    writeFileSync(
      path.join(out, p.file),
      lineChart({
        title: `Accuracy vs KV budget: ${p.title}`,
        xLabel: "KV budget (share of the tokens read that is kept)",
        yLabel: "accuracy",
        series,
        yMin: 0,
        yMax: 1,
      })
    );
    written.push(p.file);
  }
  const h = result.heatmap;
  if (h)
    for (const label of [...new Set(h.cells.map((c) => c.label))]) {
      const cs = h.cells.filter((c) => c.label === label);
      const contexts = contextsOf(cs);
      const buckets = [...new Set(cs.map((c) => c.bucket))];
      const file = heatmapFile(label);
      writeFileSync(
        path.join(out, file),
        heatMap({
          title: `${label}${cs[0].method === "full" ? "" : ` at ${budgetLabel(h.budget)}`}: accuracy (n = ${cs[0].n} per cell)`,
          rows: contexts.map((c) => `${c} tokens`),
          cols: buckets,
          values: contexts.map((ctx) => buckets.map((b) => cs.find((c) => c.contextTokens === ctx && c.bucket === b)?.accuracy ?? NaN)),
          xLabel: "needle depth",
          yLabel: "context length",
        })
      );
      written.push(file);
    }
  return written;
}
