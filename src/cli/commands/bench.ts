import {execSync} from "node:child_process";
import {existsSync, mkdirSync, readFileSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {formatBytes} from "../../core/kvMemory";
import {METHOD_NAMES} from "../../core/types";
import {findPackageRoot} from "../../engine/packageRoot";
import {realCodeFiles, defaultRealCodeRoot} from "../../corpus/realCode";
import {runFidelity, type FidelityResult} from "../bench/fidelity";
import {FIDELITY_SUITES, fidelityPlan, type FidelitySuite} from "../bench/fidelityPlan";
import {BASELINES} from "../bench/fidelityMethods";
import {renderFidelityReport, writeFidelityPlots} from "../bench/fidelityReport";
import {runMemoryBench, renderMemoryReport} from "../bench/memory";
import {runPerf, type PerfRow} from "../bench/perf";
import {bundledCard} from "../../engine/model/modelSource";
import {gpuLayersOf, intOf, parse, probeOf, UsageError} from "../options";
import {openEngine} from "../openEngine";

export const BENCH_HELP = `dynsplit bench [--suite fidelity|perf|memory|all] [--full] [--out DIR] [--cases N] [--contexts 4096,8192] [--repeats N]
               [--only query-aware,agnostic,heatmap] [--heatmap-baseline LABEL] [--probe auto|on|off] [--gpu-layers auto|off|N]
               [--scale-tokens N]
  Fidelity on real code the model never saw (multi-token values and file questions at 10-30 % budgets, query-aware;
  ten facts asked after one query-agnostic compression, with the repository memory; a needle depth × context length
  heat map; every baseline and the DynSplit ablations), speed/memory against the full cache, and the repository
  memory (many questions after one ingest of real code: memory vs reread vs once, incremental edits, scale). The
  default is a quick run (a few minutes); --full runs the complete suites (n ≥ 100 per cell). --cases sets the
  answers per cell, --contexts the heat map's (and perf's) context lengths, --only the fidelity suites,
  --heatmap-baseline the baseline drawn in the heat map (default: the most accurate query-aware one of the same run;
  name it when the heat map runs apart from the query-aware suite, e.g. "delimiter"). Writes JSON,
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
    only: {type: "string"},
    "heatmap-baseline": {type: "string"},
    repeats: {type: "string"},
    "scale-tokens": {type: "string"},
    help: {type: "boolean", short: "h"},
  });
  if (values.help) return console.log(BENCH_HELP);
  const suite = values.suite ?? "all";
  if (!["fidelity", "perf", "memory", "all"].includes(suite))
    throw new UsageError(`--suite must be fidelity, perf, memory or all, got "${suite}"`);
  const full = values.full === true;
  const heatmapBaseline = baselineOf(values["heatmap-baseline"]);
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
  let fidelity: FidelityResult | undefined;
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
    try {
      const plan = fidelityPlan({
        full,
        cases: intOf("cases", values.cases),
        contexts: contexts(values.contexts),
        only: onlyOf(values.only),
        heatmapBaseline,
      });
      const pool = realCodeFiles({chars: 2_000_000, seed: 14});
      fidelity = await runFidelity(engine, plan, {
        pool,
        log: (l) => process.stderr.write(l + "\n"),
        onRow: (r) =>
          process.stderr.write(
            `${r.suite.padEnd(11)} ${r.question.padEnd(5)} ${r.label.padEnd(30)} ${r.signal.padEnd(15)} ${r.role === "reference" ? "full" : `${100 * r.budget} %`.padEnd(4)} ${(100 * r.accuracy).toFixed(0).padStart(3)}% [${(100 * r.ci95[0]).toFixed(0)}–${(100 * r.ci95[1]).toFixed(0)}] (${r.correct}/${r.n})\n`
          ),
      });
    } finally {
      await engine.dispose();
    }
    writeFileSync(
      path.join(out, "fidelity.json"),
      JSON.stringify({meta: {...meta, codeRoot: defaultRealCodeRoot()}, ...fidelity}, null, 2)
    );
    writeFidelityPlots(out, fidelity);
  }

  if (suite !== "fidelity") {
    const probeMode = probeOf(values.probe);
    perf = await runPerf({
      workerPath: path.join(root, "dist", "worker.mjs"),
      engine: {packageRoot: root, threads, gpuLayers: gpuLayersOf(values["gpu-layers"])},
      contexts: contexts(values.contexts) ?? (full ? [4096, 8192, 16384] : [2048, 4096]),
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
  // A fidelity-only run keeps the speed figures already in the folder (and the other way round) in report.md.
  const kept = (f: string) => (existsSync(path.join(out, f)) ? JSON.parse(readFileSync(path.join(out, f), "utf8")) : undefined);
  const perfKept = perf ? undefined : kept("perf.json");
  const fidKept = fidelity ? undefined : fidelityOf(kept("fidelity.json"), false);
  const report = renderReport(
    fidKept?.meta ?? meta,
    fidelity ?? fidKept?.result,
    perf ?? perfKept?.rows,
    perf ? (fidKept ? meta : undefined) : perfKept?.meta,
    fidelity ? defaultRealCodeRoot() : fidKept?.meta.codeRoot
  );
  writeFileSync(path.join(out, "report.md"), report);
  console.log(report);
  console.error(`\nwrote ${out}`);
}

function contexts(value: string | undefined): number[] | undefined {
  return value ? value.split(",").map((c) => intOf("contexts", c.trim())!) : undefined;
}

function baselineOf(label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  const labels = BASELINES.map((b) => b.label);
  if (!labels.includes(label))
    throw new UsageError(`--heatmap-baseline takes one of ${labels.map((l) => `"${l}"`).join(", ")}, got "${label}"`);
  return label;
}

function onlyOf(value: string | undefined): FidelitySuite[] | undefined {
  if (!value) return undefined;
  const names = value.split(",").map((s) => s.trim());
  for (const n of names)
    if (!(FIDELITY_SUITES as readonly string[]).includes(n))
      throw new UsageError(`--only takes ${FIDELITY_SUITES.join(", ")} (comma-separated), got "${n}"`);
  return names as FidelitySuite[];
}

/**
 * fidelity.json as written since issue 14 (rows per suite and question). An older file is refused with a hint when
 * asked for (`strict`), and left out of a report that only carries it along.
 */
function fidelityOf(json: unknown, strict = true): {meta: Record<string, string>; result: FidelityResult} | undefined {
  if (json == null) return undefined;
  const j = json as {meta: Record<string, string>; rows?: {question?: unknown}[]} & FidelityResult;
  if (j.rows?.every((r) => r.question != null)) return {meta: j.meta, result: j};
  const why = "fidelity.json predates the issue-14 suites (no question kinds): run `dynsplit bench --suite fidelity` again";
  if (strict) throw new UsageError(why);
  process.stderr.write(`${why}; report.md leaves it out\n`);
  return undefined;
}

/** Re-renders report.md and the plots from the JSON files in `out` (fidelity.json and/or perf.json). */
function renderDir(out: string) {
  const read = (f: string) => (existsSync(path.join(out, f)) ? JSON.parse(readFileSync(path.join(out, f), "utf8")) : undefined);
  const fid = fidelityOf(read("fidelity.json"));
  const perf = read("perf.json");
  if (!fid && !perf) throw new UsageError(`no fidelity.json or perf.json in ${out}`);
  if (fid) writeFidelityPlots(out, fid.result);
  const report = renderReport(fid?.meta ?? perf.meta, fid?.result, perf?.rows, perf?.meta, fid?.meta.codeRoot);
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

export function renderReport(
  meta: Record<string, string>,
  fidelity?: FidelityResult,
  perf?: PerfRow[],
  perfMeta?: Record<string, string>,
  codeRoot?: string
): string {
  const lines = [
    `# DynSplit Chat benchmark (${meta.mode})`,
    "",
    `${meta.date} · ${meta.machine} · node ${meta.node} · commit ${meta.commit} · model ${meta.model}`,
    "",
  ];
  if (perfMeta && perfMeta !== meta) lines.push(`Speed and memory: ${perfMeta.date} · commit ${perfMeta.commit}`, "");
  if (fidelity) lines.push(...renderFidelityReport(fidelity, codeRoot));
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
