import {execSync} from "node:child_process";
import {existsSync, mkdirSync, readFileSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {formatBytes} from "../../core/kvMemory";
import {METHOD_NAMES, type MethodName} from "../../core/types";
import {findPackageRoot} from "../../engine/packageRoot";
import {runFidelity, type FidelityGrid, type FidelityRow} from "../bench/fidelity";
import {runMemoryBench, renderMemoryReport} from "../bench/memory";
import {runPerf, type PerfRow} from "../bench/perf";
import {heatMap, lineChart, type Series} from "../bench/svgPlot";
import {bundledCard} from "../../engine/model/modelSource";
import {gpuLayersOf, intOf, parse, probeOf, UsageError} from "../options";
import {openEngine} from "../openEngine";

export const BENCH_HELP = `dynsplit bench [--suite fidelity|perf|memory|all] [--full] [--out DIR] [--cases N] [--contexts 4096,8192] [--repeats N]
               [--probe auto|on|off] [--gpu-layers auto|off|N] [--scale-tokens N]
  Fidelity (accuracy vs budget for every method, needle depth, multi-needle, ablations), speed/memory against the
  full cache, and the repository memory (many questions after one ingest of real code: memory vs reread vs once,
  incremental edits, scale). The default is a quick run (a few minutes); --full runs the complete suites. Writes JSON,
  SVG plots and report.md (memory.md for the memory suite) to DIR (default bench-results/).`;

export async function benchCommand(args: string[]) {
  const {values} = parse(args, {
    "render-only": {type: "boolean"},
    suite: {type: "string"},
    full: {type: "boolean"},
    out: {type: "string"},
    cases: {type: "string"},
    probe: {type: "string"},
    threads: {type: "string"},
    "gpu-layers": {type: "string"},
    contexts: {type: "string"},
    repeats: {type: "string"},
    "scale-tokens": {type: "string"},
    help: {type: "boolean", short: "h"},
  });
  if (values.help) return console.log(BENCH_HELP);
  const suite = values.suite ?? "all";
  if (!["fidelity", "perf", "memory", "all"].includes(suite))
    throw new UsageError(`--suite must be fidelity, perf, memory or all, got "${suite}"`);
  const full = values.full === true;
  const out = path.resolve(values.out ?? "bench-results");
  mkdirSync(out, {recursive: true});
  const root = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
  const card = bundledCard(root);
  const meta = {
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? "cpu"} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`,
    node: process.version,
    commit: gitCommit(root),
    model: card.model,
    mode: full ? "full" : "quick",
  };
  if (values["render-only"]) return renderDir(out);
  const threads = intOf("threads", values.threads) ?? 1;
  let fidelity: FidelityRow[] | undefined;
  let perf: PerfRow[] | undefined;

  if (suite === "memory" || suite === "all") {
    const engine = await openEngine({probe: values.probe, threads: String(threads), "gpu-layers": values["gpu-layers"]});
    const probe = engine.modelInfo?.hasProbe === true;
    try {
      const scaleTokens = intOf("scale-tokens", values["scale-tokens"]) ?? (full ? 1_000_000 : 0);
      const result = await runMemoryBench(engine, {
        workspaceChars: full ? 220_000 : 40_000,
        facts: full ? 30 : 8,
        budgets: full ? [2048, 0.1] : [1024],
        memory: full
          ? [
              {segmentation: "dynsplit", placement: "restore"},
              {segmentation: "dynsplit", placement: "prefill"},
              {segmentation: "pages", placement: "restore"},
              {segmentation: "chunkkv", placement: "restore"},
              {segmentation: "dynsplit", placement: "restore", scoring: {lexical: 0, keys: 1}, label: "question keys only"},
              ...(probe
                ? [
                    {
                      segmentation: "dynsplit" as const,
                      placement: "restore" as const,
                      scoring: {lexical: 0, queries: 1},
                      label: "probe queries only",
                    },
                    {
                      segmentation: "dynsplit" as const,
                      placement: "restore" as const,
                      scoring: {lexical: 1, queries: 0.1},
                      label: "BM25 + probe queries",
                    },
                  ]
                : []),
            ]
          : [
              {segmentation: "dynsplit", placement: "restore"},
              {segmentation: "dynsplit", placement: "prefill"},
            ],
        // A re-read of ~110k tokens takes ~20 s at 2,048 tokens and ~90 s at 10 % (an 11.7k-token budget): 10 questions there.
        rereadQuestions: full ? [undefined, 10] : [4],
        onceMethods: full ? METHOD_NAMES.filter((m) => m !== "full") : ["dynsplit"],
        scaleChars: 2 * scaleTokens, // about 2 characters a token for Python with the bundled tokenizer
        worker: {
          path: path.join(root, "dist", "worker.mjs"),
          engine: {packageRoot: root, threads, probe: probeOf(values.probe), gpuLayers: gpuLayersOf(values["gpu-layers"])},
        },
        log: (l) => process.stderr.write(l + "\n"),
      });
      writeFileSync(path.join(out, "memory.json"), JSON.stringify({meta, ...result}, null, 2));
      const report = renderMemoryReport(result, meta);
      writeFileSync(path.join(out, "memory.md"), report);
      console.log(report);
    } finally {
      await engine.dispose();
    }
    if (suite === "memory") return console.error(`\nwrote ${out}`);
  }

  if (suite !== "perf") {
    const engine = await openEngine({probe: values.probe, threads: String(threads), "gpu-layers": values["gpu-layers"]});
    const hasProbe = engine.modelInfo?.hasProbe === true;
    try {
      const n = intOf("cases", values.cases) ?? (full ? 20 : 10);
      const all = [...METHOD_NAMES] as MethodName[];
      const main = hasProbe ? "attention" : "keyNorm";
      const grids: FidelityGrid[] = full
        ? [
            {suite: "single", signal: main, query: "aware", methods: all, budgets: [0.1, 0.2, 0.3, 0.5]},
            {suite: "single", signal: main, query: "agnostic", methods: all, budgets: [0.1, 0.2, 0.3, 0.5]},
            ...(["keyNorm", "surprisal"] as const)
              .filter((s) => s !== main)
              .map((signal): FidelityGrid => ({
                suite: "single",
                signal,
                query: "aware",
                methods: ["dynsplit", "chunkkv", "snapkv", "delimiter"],
                budgets: [0.1, 0.2],
              })),
            {
              suite: "multi",
              signal: main,
              query: "aware",
              methods: ["full", "dynsplit", "chunkkv", "snapkv", "streaming"],
              budgets: [0.1, 0.3],
            },
            {
              suite: "distractors",
              signal: main,
              query: "aware",
              methods: ["full", "dynsplit", "chunkkv", "snapkv", "streaming"],
              budgets: [0.1, 0.3],
            },
            {
              suite: "single",
              signal: main,
              query: "agnostic",
              methods: [],
              budgets: [0.2],
              variants: [
                {name: "C=8 Δ=4", options: {blockSize: 8, tolerance: 4}},
                {name: "C=32 Δ=16", options: {blockSize: 32, tolerance: 16}},
                {name: "C=16 Δ=0", options: {blockSize: 16, tolerance: 0}},
                {name: "α=0", options: {alpha: 0}},
                {name: "α=4", options: {alpha: 4}},
              ],
            },
          ]
        : [{suite: "single", signal: "auto", query: "aware", methods: all, budgets: [0.1, 0.3]}];
      fidelity = await runFidelity(engine, {
        cases: n,
        contextTokens: full ? 1500 : 1024,
        grids,
        onResult: (r) =>
          process.stderr.write(
            `${r.suite.padEnd(11)} ${r.variant.padEnd(12)} ${r.signal.padEnd(16)} ${r.query.padEnd(8)} budget ${String(r.budget).padEnd(4)} ${(100 * r.accuracy).toFixed(0).padStart(3)}% (${r.correct}/${r.n})\n`
          ),
      });
    } finally {
      await engine.dispose();
    }
    writeFileSync(path.join(out, "fidelity.json"), JSON.stringify({meta, rows: fidelity}, null, 2));
    writeFidelityPlots(out, fidelity);
  }

  if (suite !== "fidelity") {
    const probeMode = probeOf(values.probe);
    perf = await runPerf({
      workerPath: path.join(root, "dist", "worker.mjs"),
      engine: {packageRoot: root, threads, gpuLayers: gpuLayersOf(values["gpu-layers"])},
      contexts: values.contexts
        ? values.contexts.split(",").map((c) => intOf("contexts", c.trim())!)
        : full
          ? [4096, 8192, 16384]
          : [2048, 4096],
      methods: ["full", "dynsplit"],
      budget: 0.25,
      binaries: probeMode === "off" ? ["stock"] : probeMode === "on" ? ["probe"] : await availableBinaries(),
      repeats: intOf("repeats", values.repeats) ?? (full ? 3 : 1),
      decodeTokens: 32,
      onResult: (r) =>
        process.stderr.write(
          `${r.binary.padEnd(6)} ${r.method.padEnd(9)} ${String(r.contextTokens).padStart(6)} tok · prefill ${r.prefillTokPerS.toFixed(0)} tok/s · decode ${r.decodeTokPerS.toFixed(0)} tok/s · RSS ${r.peakRssMiB.toFixed(0)} MiB\n`
        ),
    });
    writeFileSync(path.join(out, "perf.json"), JSON.stringify({meta, rows: perf}, null, 2));
  }
  const report = renderReport(meta, fidelity, perf);
  writeFileSync(path.join(out, "report.md"), report);
  console.log(report);
  console.error(`\nwrote ${out}`);
}

/** Re-renders report.md and the plots from the JSON files in `out` (fidelity.json and/or perf.json). */
function renderDir(out: string) {
  const read = (f: string) => (existsSync(path.join(out, f)) ? JSON.parse(readFileSync(path.join(out, f), "utf8")) : undefined);
  const fid = read("fidelity.json");
  const perf = read("perf.json");
  if (!fid && !perf) throw new UsageError(`no fidelity.json or perf.json in ${out}`);
  if (fid) writeFidelityPlots(out, fid.rows);
  const report = renderReport(fid?.meta ?? perf.meta, fid?.rows, perf?.rows, perf?.meta);
  writeFileSync(path.join(out, "report.md"), report);
  console.log(report);
}

async function availableBinaries(): Promise<("stock" | "probe")[]> {
  const {loadLlama} = await import("../../engine/signals/loadLlama");
  try {
    const l = await loadLlama({probe: true});
    await l.llama.dispose();
    return ["stock", "probe"];
  } catch {
    return ["stock"];
  }
}

function gitCommit(root: string): string {
  try {
    return execSync("git rev-parse --short HEAD", {cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"]}).trim();
  } catch {
    return "unknown";
  }
}

/** Rows grouped by suite, signal and query mode; methods that use no signal (full, streaming, random) join every group. */
function fidelityGroups(rows: FidelityRow[], suite?: string): Map<string, FidelityRow[]> {
  const groups = new Map<string, FidelityRow[]>();
  const sig = (r: FidelityRow) => r.signal.replace(/\+query$/, "");
  const scored = rows.filter((r) => sig(r) !== "none" && (!suite || r.suite === suite));
  for (const r of scored) {
    const key = `${r.suite}|${sig(r)}|${r.query}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const [key, list] of groups) {
    const [s, , q] = key.split("|");
    list.push(...rows.filter((r) => sig(r) === "none" && r.suite === s && r.query === q));
  }
  return groups;
}

function writeFidelityPlots(out: string, rows: FidelityRow[]) {
  const main = rows.filter((r) => r.suite === "single" && r.variant === r.method);
  const groups = new Map<string, FidelityRow[]>();
  for (const [key, list] of fidelityGroups(main, "single")) groups.set(key.split("|").slice(1).join("|"), list);
  for (const [key, rs] of groups) {
    const [signal, query] = key.split("|");
    const fullAcc = rs.find((r) => r.method === "full")?.accuracy;
    const series: Series[] = METHOD_NAMES.filter((m) => m !== "full")
      .map((m) => ({
        name: m,
        points: rs.filter((r) => r.method === m).map((r) => ({x: r.budget, y: r.accuracy, lo: r.ci95[0], hi: r.ci95[1]})),
      }))
      .filter((s) => s.points.length > 0);
    if (fullAcc != null)
      series.push({
        name: "full cache",
        points: [...new Set(rs.map((r) => r.budget))].filter((b) => b < 1).map((b) => ({x: b, y: fullAcc})),
      });
    writeFileSync(
      path.join(out, `accuracy-vs-budget-${signal}-${query}.svg`),
      lineChart({
        title: `Accuracy vs KV budget (${signal}, query-${query})`,
        xLabel: "KV budget (fraction of tokens kept)",
        yLabel: "accuracy",
        series,
        yMin: 0,
        yMax: 1,
      })
    );
  }
  const firstGroup = [...groups.values()][0] ?? [];
  const depthRows = firstGroup.filter((r) => r.method !== "full" && r.budget === Math.min(...firstGroup.map((x) => x.budget)));
  if (depthRows.length) {
    writeFileSync(
      path.join(out, "needle-depth.svg"),
      heatMap({
        title: `Accuracy by needle depth at ${depthRows[0].budget * 100}% budget`,
        rows: depthRows.map((r) => `${r.method} ${r.query === "agnostic" ? "(agn.)" : ""}`.trim()),
        cols: depthRows[0].byDepth.map((b) => b.bucket),
        values: depthRows.map((r) => r.byDepth.map((b) => b.accuracy)),
        xLabel: "needle depth",
        yLabel: "method",
      })
    );
  }
}

export function renderReport(
  meta: Record<string, string>,
  fidelity?: FidelityRow[],
  perf?: PerfRow[],
  perfMeta?: Record<string, string>
): string {
  const lines = [
    `# DynSplit Chat benchmark (${meta.mode})`,
    "",
    `${meta.date} · ${meta.machine} · node ${meta.node} · commit ${meta.commit} · model ${meta.model}`,
    "",
  ];
  if (perfMeta && perfMeta !== meta) lines.push(`Speed and memory: ${perfMeta.date} · commit ${perfMeta.commit}`, "");
  if (fidelity) {
    lines.push(
      "## Retrieval accuracy vs KV budget",
      "",
      "Accuracy on fresh planted-fact cases (95 % Wilson interval); budget = fraction of the tokens read that stays in the KV cache.",
      ""
    );
    const budgets = [...new Set(fidelity.filter((r) => r.method !== "full").map((r) => r.budget))].sort((a, b) => a - b);
    for (const [key, rs] of fidelityGroups(fidelity)) {
      const [suite, signal, query] = key.split("|");
      lines.push(
        `### ${suite} · signal ${signal} · query-${query} (n = ${rs[0].n})`,
        "",
        `| method | ${budgets.map((b) => `${b * 100}%`).join(" | ")} |`,
        `|---|${budgets.map(() => "---").join("|")}|`
      );
      for (const variant of [...new Set(rs.map((r) => r.variant))]) {
        const cells = budgets.map((b) => {
          const r = rs.find((x) => x.variant === variant && (x.budget === b || x.method === "full"));
          return r ? `${(100 * r.accuracy).toFixed(0)}% [${(100 * r.ci95[0]).toFixed(0)}–${(100 * r.ci95[1]).toFixed(0)}]` : "";
        });
        lines.push(`| ${variant} | ${cells.join(" | ")} |`);
      }
      lines.push("");
    }
    const plots = [
      ...new Set(
        fidelity
          .filter((r) => r.suite === "single" && r.signal !== "none")
          .map((r) => `accuracy-vs-budget-${r.signal.replace(/\+query$/, "")}-${r.query}.svg`)
      ),
    ];
    for (const plot of [...plots, "needle-depth.svg"]) lines.push(`![${plot.replace(/\.svg$/, "")}](${plot})`, "");
  }
  if (perf) {
    lines.push(
      "## Speed and memory vs the full cache",
      "",
      "| binary | method | context | prefill tok/s | decode tok/s | peak RSS | KV allocated | KV full cache | overhead | first answer cold / warm |",
      "|---|---|---|---|---|---|---|---|---|---|"
    );
    for (const r of perf)
      lines.push(
        `| ${r.binary} | ${r.method} | ${r.contextTokens} | ${r.prefillTokPerS.toFixed(0)} | ${r.decodeTokPerS.toFixed(0)} | ${r.peakRssMiB.toFixed(0)} MiB | ${formatBytes(r.kvBytesAllocated)} | ${formatBytes(r.kvBytesFullCache)} | ${(100 * r.overheadShare).toFixed(1)}% | ${r.firstAnswerColdMs != null ? `${r.firstAnswerColdMs.toFixed(0)} / ${r.firstAnswerWarmMs!.toFixed(0)} ms` : "–"} |`
      );
    lines.push("", "Ratios against the full cache (same binary, same context):", "");
    for (const r of perf.filter((x) => x.method !== "full")) {
      const f = perf.find((x) => x.method === "full" && x.binary === r.binary && x.contextTokens === r.contextTokens);
      if (f)
        lines.push(
          `- ${r.binary} ${r.method} @ ${r.contextTokens}: KV memory ${(f.kvBytesAllocated / r.kvBytesAllocated).toFixed(2)}× smaller, prefill ${(r.prefillTokPerS / f.prefillTokPerS).toFixed(2)}×, decode ${(r.decodeTokPerS / f.decodeTokPerS).toFixed(2)}×, peak RSS ${(r.peakRssMiB / f.peakRssMiB).toFixed(2)}×` +
            (r.firstAnswerColdMs
              ? `, persistent cache ${(r.firstAnswerColdMs / r.firstAnswerWarmMs!).toFixed(1)}× faster first answer`
              : "")
        );
    }
    lines.push("");
  }
  return lines.join("\n");
}
