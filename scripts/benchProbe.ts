/**
 * `npm run bench:probe`: prefill time of the stock prebuilt binary vs the DynSplit probe build, each at its
 * best thread count, with flash attention on (auto) — the probe's design keeps FA on for the bulk prefill and
 * scores only the last `w` tokens. Each binary runs in its own child process.
 *
 *   node --import tsx scripts/benchProbe.ts [--model path.gguf] [--tokens 1024,4096] [--w 32] [--runs 3]
 *     [--threads 1,2] [--modes plain,probe-window,probe-dense,probe-dense-fa-off] [--gpu off|auto] [--json out.json]
 *
 * `--gpu auto` offloads every layer, on the stock binary's GPU backend and on a GPU hook build
 * (`npm run build:kernels -- --gpu cuda`), and says which backend each ran on.
 *
 * Without --model it uses models/*.gguf when present, else writes a random-weight llama of a real-model shape
 * (8 layers, 512 wide, 8 heads of 64, 2 KV heads) to a temp dir.
 */
import {spawnSync} from "node:child_process";
import {existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join, resolve} from "node:path";
import type {LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import {prefillWithAttentionProbe} from "../src/engine/signals/attentionSignal";
import {loadLlama} from "../src/engine/signals/loadLlama";
import {writeTinyLlamaGguf} from "../test/integration/helpers/tinyLlamaGguf";
import {sampleText} from "../test/integration/helpers/tinyModelFixture";

type Mode = "plain" | "probe-window" | "probe-dense" | "probe-dense-fa-off";
interface Measurement {
  binary: string;
  /** cpu, cuda, vulkan or metal */
  backend?: string;
  mode: Mode;
  threads: number;
  tokens: number;
  ms: number;
  probeMs?: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function benchTokens(model: LlamaModel, n: number): Token[] {
  const tokens: Token[] = [model.tokens.bos!, ...model.tokenize(sampleText(n * 4))];
  return tokens.slice(0, n);
}

async function timePrefill(
  sequence: LlamaContextSequence,
  tokens: Token[],
  mode: Mode,
  w: number
): Promise<{ms: number; probeMs?: number}> {
  await sequence.clearHistory();
  const start = performance.now();
  if (mode === "plain") {
    await sequence.evaluateWithoutGeneratingNewTokens(tokens);
    return {ms: performance.now() - start};
  }
  const {readout} = await prefillWithAttentionProbe(sequence, tokens, {observationWindow: w, dense: mode !== "probe-window"});
  return {ms: performance.now() - start, probeMs: readout.probeMs};
}

async function worker(
  binary: "stock" | "probe",
  modelPath: string,
  sizes: number[],
  w: number,
  runs: number,
  threadCounts: number[],
  probeModes: Mode[]
): Promise<void> {
  const gpu = arg("gpu", "off") === "auto" ? "auto" : false;
  const loaded = await loadLlama({probe: binary === "probe", gpu});
  const model = await loaded.llama.loadModel({modelPath, gpuLayers: gpu === false ? 0 : "max"});
  const backend = loaded.llama.gpu || "cpu";
  const modes: Mode[] = binary === "stock" ? ["plain"] : probeModes;
  const out: Measurement[] = [];
  for (const threads of threadCounts) {
    for (const mode of modes) {
      const flashAttention = mode !== "probe-dense-fa-off";
      const context = await model.createContext({contextSize: Math.max(...sizes) + 64, threads, flashAttention, batchSize: 512});
      const sequence = context.getSequence();
      for (const n of sizes) {
        const tokens = benchTokens(model, n);
        await timePrefill(sequence, tokens.slice(0, 256), mode, w); // warm-up
        const ms: number[] = [],
          probeMs: number[] = [];
        for (let r = 0; r < runs; r++) {
          const m = await timePrefill(sequence, tokens, mode, w);
          ms.push(m.ms);
          if (m.probeMs != null) probeMs.push(m.probeMs);
        }
        out.push({
          binary: loaded.binary,
          backend,
          mode,
          threads,
          tokens: n,
          ms: median(ms),
          probeMs: probeMs.length ? median(probeMs) : undefined,
        });
      }
      await context.dispose();
    }
  }
  await model.dispose();
  await loaded.llama.dispose();
  process.stdout.write(`BENCH_JSON ${JSON.stringify(out)}\n`);
}

function pickModel(): {path: string; cleanup: () => void; description: string} {
  const explicit = arg("model", "");
  if (explicit) return {path: resolve(explicit), cleanup: () => {}, description: explicit};
  const modelsDir = resolve("models");
  const committed = existsSync(modelsDir) ? readdirSync(modelsDir).filter((f) => f.endsWith(".gguf")) : [];
  if (committed.length > 0) return {path: join(modelsDir, committed[0]), cleanup: () => {}, description: `models/${committed[0]}`};
  const dir = mkdtempSync(join(tmpdir(), "dynsplit-bench-"));
  const path = join(dir, "random-llama-8x512.gguf");
  writeTinyLlamaGguf(path, {nLayer: 8, nEmbd: 512, nHead: 8, nHeadKv: 2, nFf: 1536, attnWeightStd: 0.05, seed: 7});
  return {
    path,
    cleanup: () => rmSync(dir, {recursive: true, force: true}),
    description: "random llama 8 layers × 512 (8 heads × 64, 2 KV heads, ffn 1536), F32",
  };
}

async function main(): Promise<void> {
  const sizes = arg("tokens", "1024,4096").split(",").map(Number);
  const w = Number(arg("w", "32"));
  const runs = Number(arg("runs", "3"));
  const threadCounts = arg("threads", "1,2").split(",").map(Number);
  const modes = arg("modes", "plain,probe-window,probe-dense,probe-dense-fa-off").split(",") as Mode[];
  if (!modes.includes("plain")) modes.unshift("plain");
  const role = arg("worker", "");
  if (role === "stock" || role === "probe") return worker(role, arg("model", ""), sizes, w, runs, threadCounts, modes);

  const model = pickModel();
  try {
    // rounds alternate the two binaries, so drift of the shared CPU hits both alike; medians over rounds
    const raw: Measurement[] = [];
    for (let round = 0; round < runs; round++) {
      for (const binary of ["stock", "probe"] as const) {
        const r = spawnSync(
          process.execPath,
          [
            ...process.execArgv,
            process.argv[1],
            "--worker",
            binary,
            "--model",
            model.path,
            "--tokens",
            sizes.join(","),
            "--w",
            String(w),
            "--runs",
            "1",
            "--threads",
            threadCounts.join(","),
            "--modes",
            modes.join(","),
            "--gpu",
            arg("gpu", "off"),
          ],
          {encoding: "utf8", maxBuffer: 1 << 26}
        );
        const line = r.stdout.split("\n").find((l) => l.startsWith("BENCH_JSON "));
        if (!line) throw new Error(`${binary} worker failed (status ${r.status}):\n${r.stderr}${r.stdout}`);
        raw.push(...(JSON.parse(line.slice("BENCH_JSON ".length)) as Measurement[]));
      }
    }
    const results: Measurement[] = [];
    for (const m of raw) {
      if (results.some((x) => x.binary === m.binary && x.mode === m.mode && x.threads === m.threads && x.tokens === m.tokens)) continue;
      const same = raw.filter((x) => x.binary === m.binary && x.mode === m.mode && x.threads === m.threads && x.tokens === m.tokens);
      const probe = same.map((x) => x.probeMs).filter((x): x is number => x != null);
      results.push({...m, ms: median(same.map((x) => x.ms)), probeMs: probe.length ? median(probe) : undefined});
    }
    console.log(
      `model: ${model.description}; observation window w = ${w}; median of ${runs} alternating rounds; flash attention auto (on) unless noted`
    );
    console.log("binary (backend)           mode                threads  tokens   prefill ms   probe ms");
    for (const m of results)
      console.log(
        `${`${m.binary} (${m.backend})`.padEnd(26)} ${m.mode.padEnd(19)} ${String(m.threads).padStart(7)} ${String(m.tokens).padStart(7)} ${m.ms.toFixed(1).padStart(12)} ${(m.probeMs?.toFixed(1) ?? "").padStart(10)}`
      );
    console.log("\noverhead vs the stock binary, each at its best thread count:");
    for (const n of sizes) {
      const best = (binary: string, mode: Mode): Measurement =>
        results.filter((m) => m.binary === binary && m.mode === mode && m.tokens === n).reduce((a, b) => (b.ms < a.ms ? b : a));
      const stock = best("stock-prebuilt", "plain");
      const ran = (mode: Mode): boolean => results.some((m) => m.binary === "probe-local-build" && m.mode === mode && m.tokens === n);
      const fmt = (m: Measurement): string =>
        `${m.ms.toFixed(1)} ms (threads ${m.threads}) = ${(100 * (m.ms / stock.ms - 1)).toFixed(1)} %, speed ${(stock.ms / m.ms).toFixed(3)}× stock`;
      console.log(`  ${n} tokens: stock ${stock.ms.toFixed(1)} ms (threads ${stock.threads})`);
      console.log(`    hook build, hook off             : ${fmt(best("probe-local-build", "plain"))}`);
      if (ran("probe-window")) console.log(`    hook build, window w=${w} (FA on)  : ${fmt(best("probe-local-build", "probe-window"))}`);
      if (ran("probe-dense")) console.log(`    hook build, dense (FA on)        : ${fmt(best("probe-local-build", "probe-dense"))}`);
      if (ran("probe-dense-fa-off"))
        console.log(`    hook build, dense (FA off)       : ${fmt(best("probe-local-build", "probe-dense-fa-off"))}`);
      if (!ran("probe-window")) continue;
      const plainProbe = best("probe-local-build", "plain"),
        windowed = best("probe-local-build", "probe-window");
      const samePlain = results.find(
        (m) => m.binary === "probe-local-build" && m.mode === "plain" && m.tokens === n && m.threads === windowed.threads
      )!;
      console.log(
        `    window probe vs the same binary with the probe off (threads ${windowed.threads}): ${(100 * (windowed.ms / samePlain.ms - 1)).toFixed(1)} %;` +
          ` time inside the probe: ${windowed.probeMs?.toFixed(1)} ms = ${((100 * (windowed.probeMs ?? 0)) / plainProbe.ms).toFixed(1)} % of the probe-off prefill`
      );
    }
    const jsonOut = arg("json", "");
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify({model: model.description, w, runs, results}, null, 2));
  } finally {
    model.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
