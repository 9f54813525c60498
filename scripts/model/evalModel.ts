/**
 * Measure the bundled model with node-llama-cpp: retrieval accuracy with the full KV cache and
 * with the needle's tokens erased, per context length, on synthetic and on held-out real code.
 *
 * Usage: node --import tsx scripts/model/evalModel.ts [--model models/dynsplit-tiny.gguf]
 *        [--n 200] [--lengths 1000,2000,4000] [--real-n 100] [--out models/work/eval.json]
 */
import {writeFileSync} from "node:fs";
import {DEFAULT_CHARS_PER_TOKEN, generateCase} from "../../src/corpus";
import type {NeedleCase} from "../../src/corpus";
import {getCpuLlama} from "../../src/model/loadLlamaRuntime";
import {type CaseOutcome, runCasePair, score} from "../../src/model/retrievalEval";
import {collectRealCode} from "./realCode";

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const REAL_CODE_CHARS_PER_TOKEN = 2.2;

/** Held-out real code as a haystack: consecutive held-out files from a seeded one, long enough for `chars`. */
function realHaystack(pool: Record<string, string>[], i: number, chars: number): Record<string, string> {
  const files: Record<string, string> = {};
  let total = 0;
  for (let k = 0; total < chars + 500 && k < pool.length; k++) {
    const [path, text] = Object.entries(pool[(i * 7919 + k) % pool.length])[0];
    const lines = text.split("\n");
    const from = k === 0 ? (i * 104729) % Math.max(1, lines.length - 20) : 0;
    const content = lines
      .slice(from)
      .join("\n")
      .slice(0, chars + 1000);
    files[path] = content;
    total += content.length;
  }
  return files;
}

async function main() {
  const modelPath = arg("model", "models/dynsplit-tiny.gguf");
  const n = Number(arg("n", "200"));
  const lengths = arg("lengths", "1000,2000,4000").split(",").map(Number);
  const realN = Number(arg("real-n", "100"));
  /** Per-length case counts, e.g. "200,200,100" (default: n for every length). */
  const perLength = arg("n-per-length", "").split(",").filter(Boolean).map(Number);
  const llama = await getCpuLlama();
  const model = await llama.loadModel({modelPath});
  const results: Record<string, unknown>[] = [];

  const runSuite = async (label: string, tokens: number, cases: NeedleCase[]) => {
    const context = await model.createContext({contextSize: Math.ceil((tokens * 1.25 + 64) / 256) * 256, threads: 1});
    const sequence = context.getSequence();
    const full: CaseOutcome[] = [];
    const erased: CaseOutcome[] = [];
    const t0 = Date.now();
    for (const c of cases) {
      const pair = await runCasePair(model, sequence, c);
      full.push(pair.full);
      erased.push(pair.erased);
    }
    await context.dispose();
    const row = {
      suite: label,
      targetTokens: tokens,
      full: score(full),
      needleErased: score(erased),
      seconds: (Date.now() - t0) / 1000,
      failures: full.filter((o) => !o.correct).slice(0, 5),
    };
    results.push(row);
    console.log(
      `${label.padEnd(10)} ${String(tokens).padStart(5)} tok (mean ${row.full.meanContextTokens.toFixed(0)}): full ${(row.full.accuracy * 100).toFixed(1)}% (${row.full.correct}/${row.full.n}), needle erased ${(row.needleErased.accuracy * 100).toFixed(1)}% (${row.needleErased.correct}/${row.needleErased.n}) [${row.seconds.toFixed(0)} s]`
    );
  };

  for (const [li, tokens] of lengths.entries()) {
    const cases = Array.from({length: perLength[li] ?? n}, (_, i) =>
      generateCase(`eval-${tokens}-${i}`, {contextChars: Math.round(tokens * DEFAULT_CHARS_PER_TOKEN)})
    );
    await runSuite("synthetic", tokens, cases);
  }
  if (realN > 0) {
    const {heldOut} = collectRealCode("node_modules");
    for (const tokens of lengths) {
      const chars = Math.round(tokens * REAL_CODE_CHARS_PER_TOKEN);
      const cases = Array.from({length: realN}, (_, i) =>
        generateCase(`real-${tokens}-${i}`, {contextChars: chars, haystack: realHaystack(heldOut, i, chars)})
      );
      await runSuite("real-code", tokens, cases);
    }
  }
  const out = arg("out", "models/work/eval.json");
  writeFileSync(out, JSON.stringify({model: modelPath, date: new Date().toISOString(), results}, null, 2));
  console.log(`wrote ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
