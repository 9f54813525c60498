/**
 * `npm run bench:core`: what the uniform mapping saves at 100k tokens, and what each core method costs.
 * Prints medians of repeated runs; figures, not assertions.
 */
import {performance} from "node:perf_hooks";
import {scoreBlocksTokenwise, scoreSummaries, summariseBlockKeys} from "../src/core/blockKeySummary";
import {boundaryScores} from "../src/core/boundaryScores";
import {ddSelect} from "../src/core/ddSelect";
import {delimiterStrengths} from "../src/core/delimiters";
import {createMethod, METHOD_NAMES} from "../src/core";
import {raggedBlocks, scoreRaggedBlocks} from "../src/core/raggedScoring";
import {buildUniformLayout, scoreUniformLayout} from "../src/core/uniformLayout";
import {randomSignal, randomTokens} from "../test/helpers/tokenStreams";

const N = Number(process.env.BENCH_TOKENS ?? 100_000);
const REPS = Number(process.env.BENCH_REPS ?? 25);
const C = 16;
const D = 8;

function median(fn: () => unknown, reps = REPS): number {
  for (let i = 0; i < 3; i++) fn(); // warm up the JIT
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const texts = randomTokens(N, 42);
const signal = {kind: "bench", tokenScores: randomSignal(N, 43)};
const strengths = delimiterStrengths(texts);
const weights = boundaryScores(strengths, signal, {alpha: 1, window: 8, structureWeight: 0.25});
const offsets = ddSelect(strengths, weights, {blockSize: C, tolerance: D});
const nBlocks = offsets.length - 1;
console.log(
  `core benchmark: ${N.toLocaleString()} tokens, ${nBlocks.toLocaleString()} DynSplit blocks (C=${C}, Δ=${D}), median of ${REPS} runs, node ${process.version}`
);

// 1. Block scoring over a token signal: ragged per-block index lists vs one dense pass over the slot layout.
const ragged = raggedBlocks(offsets);
const rows: [string, number, number][] = [];
for (const agg of ["sum", "mean", "max"] as const) {
  const layout = buildUniformLayout(offsets, signal.tokenScores, C + D, agg);
  const tRagged = median(() => scoreRaggedBlocks(ragged, signal.tokenScores, agg));
  const tUniform = median(() => scoreUniformLayout(layout));
  rows.push([agg, tRagged, tUniform]);
}
const tBuild = median(() => buildUniformLayout(offsets, signal.tokenScores, C + D, "mean"));
const tRaggedBuild = median(() => raggedBlocks(offsets));
console.log("\nblock scoring from token scores (ms)   ragged   uniform   ratio");
for (const [agg, r, u] of rows)
  console.log(`  ${agg.padEnd(37)} ${r.toFixed(3).padStart(7)} ${u.toFixed(3).padStart(9)}   ${(r / u).toFixed(2)}×`);
console.log(`  layout build (once per segmentation)  ${tRaggedBuild.toFixed(3).padStart(7)} ${tBuild.toFixed(3).padStart(9)}`);

// 2. Query-aware block scoring from keys: per-token dot products vs fixed-size block summaries (min/max keys).
const dim = 64;
const keys = randomSignal(N * dim, 44);
const query = randomSignal(dim, 45);
const summary = summariseBlockKeys(offsets, keys, dim);
const tTokenwise = median(() => scoreBlocksTokenwise(offsets, keys, dim, query), 9);
const tSummary = median(() => scoreSummaries(summary, query));
const tSummarise = median(() => summariseBlockKeys(offsets, keys, dim), 5);
console.log(`\nquery-aware block scoring, keys of dim ${dim} (ms)`);
console.log(`  per token (ragged)   ${tTokenwise.toFixed(3)}`);
console.log(
  `  block summaries      ${tSummary.toFixed(3)}   ratio ${(tTokenwise / tSummary).toFixed(1)}×   (summaries built once: ${tSummarise.toFixed(1)} ms)`
);

// 3. Every method end to end at a 25 % budget.
console.log(`\nmethod.compress at 25 % budget (ms, end to end incl. validation)`);
for (const name of METHOD_NAMES) {
  const m = createMethod(name, {nSink: 4, recentWindow: 256});
  const t = median(() => m.compress({tokenTexts: texts, signal, budget: {ratio: 0.25}}), 7);
  console.log(`  ${name.padEnd(10)} ${t.toFixed(1).padStart(8)}`);
}

const meanRow = rows.find((r) => r[0] === "mean")!;
console.log(
  `\nuniform vs ragged block scoring at ${N.toLocaleString()} tokens (mean aggregate): ${(meanRow[1] / meanRow[2]).toFixed(2)}× faster`
);
