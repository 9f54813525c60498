import {mkdtempSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {performance} from "node:perf_hooks";
import {generateCase} from "../../corpus";
import type {MethodName} from "../../core/types";
import type {EngineConfig} from "../../engine/engine";
import {EngineClient} from "../../engine/worker/engineClient";

export interface PerfConfig {
  workerPath: string;
  engine: Omit<EngineConfig, "cacheDir" | "probe">;
  contexts: number[];
  methods: MethodName[];
  budget: number;
  binaries: ("stock" | "probe")[];
  repeats: number;
  decodeTokens: number;
  onResult?: (row: PerfRow) => void;
}

export interface PerfRow {
  binary: "stock" | "probe";
  method: MethodName;
  contextTokens: number;
  tokensRead: number;
  tokensKept: number;
  signal: string;
  prefillTokPerS: number;
  decodeTokPerS: number;
  peakRssMiB: number;
  kvBytesAllocated: number;
  kvBytesFullCache: number;
  /** (scoring + eviction) / prefill: the method's overhead. */
  overheadShare: number;
  /** Wall time from a fresh worker to the first answer: reading the workspace vs. the persistent cache. */
  firstAnswerColdMs?: number;
  firstAnswerWarmMs?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** One configuration in a fresh worker process, so peak RSS belongs to it alone. */
async function measureOnce(
  config: PerfConfig,
  binary: "stock" | "probe",
  method: MethodName,
  contextTokens: number,
  cacheDir: string,
  useCache: boolean
) {
  const client = new EngineClient(config.workerPath, {...config.engine, cacheDir, probe: binary === "probe" ? "on" : "off"});
  try {
    const t0 = performance.now();
    await client.request("loadModel", {model: "bundled"});
    const c = generateCase(`perf:${contextTokens}`, {contextTokens});
    const documents = Object.entries(c.files).map(([p, content]) => ({path: p, content}));
    const s = await client.request("ingest", {
      documents,
      answerFrom: "reread",
      method,
      budget: {ratio: method === "full" ? 1 : config.budget, exact: true},
      signal: "auto",
      question: c.question,
      useCache,
    });
    const a = await client.request("ask", {question: c.question, maxTokens: config.decodeTokens, ignoreStops: true});
    const firstAnswerMs = performance.now() - t0;
    const status = await client.request("status", {});
    return {s, a, firstAnswerMs, maxRss: status.maxRssBytes};
  } finally {
    await client.stop();
  }
}

export async function runPerf(config: PerfConfig): Promise<PerfRow[]> {
  const rows: PerfRow[] = [];
  for (const binary of config.binaries)
    for (const contextTokens of config.contexts)
      for (const method of config.methods) {
        const runs = [];
        for (let r = 0; r < config.repeats; r++)
          runs.push(await measureOnce(config, binary, method, contextTokens, mkdtempSync(path.join(os.tmpdir(), "dynsplit-perf-")), false));
        const last = runs[runs.length - 1];
        const row: PerfRow = {
          binary,
          method,
          contextTokens,
          tokensRead: last.s.tokensRead,
          tokensKept: last.s.tokensKept,
          signal: last.s.signal,
          prefillTokPerS: median(runs.map((x) => x.s.tokensRead / (x.s.timings.prefillMs / 1000))),
          decodeTokPerS: median(runs.map((x) => x.a.answerTokens / Math.max(1e-6, x.a.timings.decodeMs / 1000))),
          peakRssMiB: median(runs.map((x) => x.maxRss / 2 ** 20)),
          kvBytesAllocated: last.s.memory.kvBytesAllocated,
          kvBytesFullCache: last.s.memory.kvBytesFullCache,
          overheadShare: median(runs.map((x) => (x.s.timings.scoringMs + x.s.timings.evictMs) / Math.max(1e-6, x.s.timings.prefillMs))),
        };
        if (method !== "full") {
          // First answer from a fresh process: cold (reads the workspace, fills the cache), then warm (cache hit).
          const cacheDir = mkdtempSync(path.join(os.tmpdir(), "dynsplit-perf-cache-"));
          const cold = await measureOnce(config, binary, method, contextTokens, cacheDir, true);
          const warm = await measureOnce(config, binary, method, contextTokens, cacheDir, true);
          if (!warm.s.fromCache) throw new Error("the warm run missed the persistent cache");
          row.firstAnswerColdMs = cold.firstAnswerMs;
          row.firstAnswerWarmMs = warm.firstAnswerMs;
        }
        rows.push(row);
        config.onResult?.(row);
      }
  return rows;
}
