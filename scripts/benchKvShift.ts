/**
 * `npm run bench:kvshift`: key-cache types (f16, q8_0, q4_0) on real code (the Python standard library here, with
 * planted facts), through the bundled model.
 * - K-shift cost (f16): the compressed stream (`once`) reads the code through a 1,024-token budget, so kept tokens are
 *   moved by llama.cpp's K-shift again and again; the live, shifted cache is compared with the same kept tokens
 *   prefilled afresh (the exact state K-shift approximates): L1 between their next-token distributions on uncertain
 *   continuations (questions about keys that are not in the code).
 * - Quantized keys: a K-shift on a Q8_0/Q4_0 key cache segfaults llama.cpp in node-llama-cpp 3.22.1's build (run with
 *   `--crash` to see it in a child process); the engine refuses the compressed stream there. The repository memory
 *   never shifts keys (it re-prefills blocks at new positions), so it is measured for every type: KV bytes per token,
 *   store size, accuracy on the planted facts.
 *
 *   node --import tsx scripts/benchKvShift.ts [--chars 40000] [--facts 10] [--crash]
 */
import {spawnSync} from "node:child_process";
import {mkdtempSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {getLlama, type LlamaModel, type Token} from "node-llama-cpp";
import {KV_CACHE_GGML, KV_CACHE_TYPES, type KvCacheType} from "../src/core/kvMemory";
import {plantFacts} from "../src/corpus/plantFacts";
import {realCodeFiles} from "../src/corpus/realCode";
import {Engine} from "../src/engine/engine";
import {l1Distance, nextTokenDistribution} from "../src/engine/session/generateAnswer";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const root = path.resolve(import.meta.dirname, "..");
const modelPath = path.join(root, "models", "dynsplit-tiny.gguf");

/** Child mode: one K-shift on a quantized key cache (exits 0 only if llama.cpp survives it). */
async function shiftOnce(type: KvCacheType) {
  const llama = await getLlama({gpu: false});
  const model = await llama.loadModel({modelPath, experimentalDefaultContextKvCacheKeyType: KV_CACHE_GGML[type]});
  const ctx = await model.createContext({contextSize: 1024});
  const seq = ctx.getSequence();
  const ids = model.tokenize("def f(x):\n    return x + 1\n".repeat(60)).slice(0, 700);
  await seq.evaluateWithoutGeneratingNewTokens(ids);
  await seq.eraseContextTokenRanges([{start: 100, end: 200}]); // the rest moves back: a K-shift at the next decode
  await seq.evaluateWithoutGeneratingNewTokens(ids.slice(0, 8));
  process.exit(0);
}

if (process.argv.includes("--child-shift")) await shiftOnce(arg("child-shift", "q8_0") as KvCacheType);
else await main();

async function main() {
  const chars = Number(arg("chars", "40000"));
  const factCount = Number(arg("facts", "10"));
  const code = realCodeFiles({chars, seed: "kvshift"});
  const planted = plantFacts(code, {facts: factCount, seed: "kvshift"});
  const documents = Object.entries(planted.files).map(([p, content]) => ({path: p, content}));
  const absent = Array.from(
    {length: 10},
    (_, i) => `Q: ${["retry", "cache", "pool", "batch", "limit"][i % 5]}_${["zeta", "omega", "kappa", "sigma", "theta"][(i * 3) % 5]} = `
  );
  const engineFor = (kvCacheType: KvCacheType) =>
    new Engine({
      packageRoot: root,
      cacheDir: mkdtempSync(path.join(os.tmpdir(), "dynsplit-kvshift-")),
      threads: 1,
      probe: "off",
      gpuLayers: "off",
      kvCacheType,
    });
  console.log(`${documents.length} files of real code (${chars} characters), ${factCount} planted facts, the bundled model\n`);

  // K-shift cost with f16 keys.
  {
    const engine = engineFor("f16");
    try {
      await engine.loadModel("bundled");
      const s = await engine.ingest({documents, budget: {tokens: 1024}, answerFrom: "once", signal: "surprisal", useCache: false});
      const live = (engine as unknown as {live: {session: {sequence: {contextTokens: Token[]}; model: LlamaModel}}}).live.session;
      const kept = [...live.sequence.contextTokens];
      const fresh = await live.model.createContext({contextSize: kept.length + 64, threads: 1});
      const l1: number[] = [];
      try {
        const seq = fresh.getSequence();
        await seq.evaluateWithoutGeneratingNewTokens(kept);
        for (const q of absent)
          l1.push(l1Distance(await engine.nextTokenDistribution(q, q), await nextTokenDistribution(seq, live.model.tokenize(q))));
      } finally {
        await fresh.dispose();
      }
      const mean = l1.reduce((a, b) => a + b, 0) / l1.length;
      console.log(
        `K-shift, f16 keys: ${s.compressions} compressions over ${s.tokensRead} tokens; next-token L1, shifted vs prefilled afresh: mean ${mean.toExponential(2)}, max ${Math.max(...l1).toExponential(2)}`
      );
    } finally {
      await engine.dispose();
    }
  }
  for (const type of ["q8_0", "q4_0"] as const) {
    const r = spawnSync(process.execPath, ["--import", "tsx", import.meta.filename, "--child-shift", type], {encoding: "utf8"});
    console.log(
      `K-shift, ${type} keys: ${r.status === 0 ? "survived" : `llama.cpp died (${r.signal ?? `exit ${r.status}`}) at the first decode after a shift`}`
    );
  }

  console.log("\nRepository memory (no K-shift), 1,024-token budget:\n");
  console.log("| key cache | KV bytes/token | placement | store | facts right | first token, mean |");
  console.log("|---|---|---|---|---|---|");
  for (const kvCacheType of KV_CACHE_TYPES) {
    const engine = engineFor(kvCacheType);
    try {
      const info = await engine.loadModel("bundled");
      const s = await engine.ingest({documents, budget: {tokens: 1024}, useCache: false});
      let right = 0;
      let firstToken = 0;
      for (const f of planted.facts) {
        const a = await engine.ask(f.question);
        if (a.answer === f.value) right++;
        firstToken += a.firstTokenMs ?? 0;
      }
      console.log(
        `| ${kvCacheType} | ${info.kvBytesPerToken.toFixed(0)} | ${s.store?.placement} | ${((s.store?.bytes ?? 0) / 2 ** 20).toFixed(1)} MiB | ${right}/${planted.facts.length} | ${(firstToken / planted.facts.length).toFixed(0)} ms |`
      );
    } finally {
      await engine.dispose();
    }
  }
}
