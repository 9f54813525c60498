import assert from "node:assert/strict";
import {test} from "node:test";
import fc from "fast-check";
import {codeTerms, combineStandardised, keySimilarity, normaliseSegments, spreadToNext} from "../../src/core/blockScoring";
import {createSegmenter, SEGMENTATION_NAMES} from "../../src/core/blockSegmenter";
import {DynSplitInputError} from "../../src/core/errors";
import {selectMemoryBlocks, type RepositoryBlocks} from "../../src/core/memorySelection";
import {rotateRows, ropeThetas, type RopeParams} from "../../src/core/rope";
import {randomSignal, randomTokens} from "../helpers/tokenStreams";
import type {ParsedSeqState} from "../../src/engine/signals/kvStateParser";

/** A random repository: files with a header each and blocks of 1..24 tokens. */
const repository = fc
  .array(
    fc.record({header: fc.integer({min: 1, max: 12}), blocks: fc.array(fc.integer({min: 1, max: 24}), {minLength: 1, maxLength: 20})}),
    {minLength: 1, maxLength: 15}
  )
  .map((files) => {
    const fileOf: number[] = [];
    const tokens: number[] = [];
    files.forEach((f, i) => f.blocks.forEach((t) => (fileOf.push(i), tokens.push(t))));
    return {
      fileOf: Int32Array.from(fileOf),
      tokens: Int32Array.from(tokens),
      headerTokens: Int32Array.from(files.map((f) => f.header)),
    } satisfies RepositoryBlocks;
  });

test("memory selection: within budget, headers with their files, file groups contiguous, blocks in file order, deterministic", () => {
  fc.assert(
    fc.property(
      repository,
      fc.integer({min: 0, max: 400}),
      fc.integer(),
      fc.constantFrom("relevance" as const, "repository" as const),
      (repo, budget, seed, order) => {
        const scores = randomSignal(repo.fileOf.length, seed);
        const s = selectMemoryBlocks(repo, scores, {budgetTokens: budget, order});
        const again = selectMemoryBlocks(repo, scores, {budgetTokens: budget, order});
        assert.deepEqual(s, again);
        const files = new Set<number>();
        let tokens = 0;
        for (const b of s.blocks) {
          if (!files.has(repo.fileOf[b])) tokens += repo.headerTokens[repo.fileOf[b]];
          files.add(repo.fileOf[b]);
          tokens += repo.tokens[b];
        }
        assert.equal(s.tokens, tokens, "tokens = headers of the selected files + their blocks");
        assert.ok(s.tokens <= budget, "never over budget");
        assert.deepEqual(
          [...files].sort((a, b) => a - b),
          [...s.files].sort((a, b) => a - b),
          "files = the files of the selected blocks"
        );
        // each file's blocks form one contiguous group, in file order, and the groups follow s.files
        const groupOrder: number[] = [];
        for (let i = 0; i < s.blocks.length; i++) {
          const f = repo.fileOf[s.blocks[i]];
          if (i === 0 || repo.fileOf[s.blocks[i - 1]] !== f) groupOrder.push(f);
          else assert.ok(s.blocks[i] > s.blocks[i - 1], "blocks of one file in file order");
        }
        assert.deepEqual(groupOrder, [...s.files], "one group per file, in the layout's file order");
        if (order === "repository")
          assert.deepEqual(
            [...s.files],
            [...s.files].sort((a, b) => a - b)
          );
        // greedy maximality: no unselected block fits in what is left
        const left = budget - s.tokens;
        for (let b = 0; b < repo.fileOf.length; b++) {
          if (s.blocks.includes(b)) continue;
          const cost = repo.tokens[b] + (files.has(repo.fileOf[b]) ? 0 : repo.headerTokens[repo.fileOf[b]]);
          assert.ok(cost > left, `block ${b} (cost ${cost}) would still fit in ${left}`);
        }
      }
    ),
    {numRuns: 300}
  );
});

test("memory selection: the whole repository is taken when it fits; the best block comes first; relevance order puts it last", () => {
  const repo: RepositoryBlocks = {
    fileOf: Int32Array.from([0, 0, 1, 1, 2]),
    tokens: Int32Array.from([10, 10, 10, 10, 10]),
    headerTokens: Int32Array.from([3, 3, 3]),
  };
  const all = selectMemoryBlocks(repo, new Float32Array(5), {budgetTokens: 59});
  assert.equal(all.whole, true);
  assert.equal(all.tokens, 59);
  const scores = Float32Array.from([0, 1, 0, 5, 2]);
  const s = selectMemoryBlocks(repo, scores, {budgetTokens: 13});
  assert.deepEqual([...s.blocks], [3], "the best block and its header");
  const two = selectMemoryBlocks(repo, scores, {budgetTokens: 26});
  assert.deepEqual([...two.files], [2, 1], "the best file last");
  assert.deepEqual([...selectMemoryBlocks(repo, scores, {budgetTokens: 26, order: "repository"}).files], [1, 2]);
  assert.throws(() => selectMemoryBlocks(repo, new Float32Array(4), {budgetTokens: 10}), DynSplitInputError);
  assert.throws(
    () => selectMemoryBlocks({...repo, fileOf: Int32Array.from([1, 0, 1, 1, 2])}, scores, {budgetTokens: 10}),
    /repository order/
  );
});

test("segmenters: blocks cover the file, respect forced starts and their maximum length", () => {
  for (const name of SEGMENTATION_NAMES) {
    const seg = createSegmenter(name);
    for (const seed of [1, 2, 3]) {
      const texts = randomTokens(700, seed);
      const forced = [100, 333];
      const offsets = seg.segment(texts, {kind: "test", tokenScores: randomSignal(700, seed)}, forced);
      assert.equal(offsets[0], 0);
      assert.equal(offsets[offsets.length - 1], 700);
      for (let b = 0; b + 1 < offsets.length; b++) {
        assert.ok(offsets[b + 1] > offsets[b]);
        assert.ok(offsets[b + 1] - offsets[b] <= seg.maxBlockTokens, `${name}: block ≤ ${seg.maxBlockTokens}`);
      }
      for (const f of forced) assert.ok(offsets.includes(f), `${name}: a block starts at ${f}`);
    }
  }
  assert.equal(createSegmenter("pages").maxBlockTokens, 16);
  assert.equal(createSegmenter("chunkkv").maxBlockTokens, 10);
  assert.equal(createSegmenter("dynsplit").maxBlockTokens, 24);
  assert.throws(() => createSegmenter("quest"), /unknown segmentation/);
});

/** Reference RoPE straight from the definition, for one head at one absolute position. */
function ropeAt(x: number[], pos: number, p: RopeParams): number[] {
  const out = [...x];
  const half = p.nDims / 2;
  for (let i = 0; i < half; i++) {
    const theta = pos * (p.freqScale ?? 1) * p.freqBase ** ((-2 * i) / p.nDims);
    const [a, b] = p.kind === "norm" ? [2 * i, 2 * i + 1] : [i, i + half];
    out[a] = x[a] * Math.cos(theta) - x[b] * Math.sin(theta);
    out[b] = x[a] * Math.sin(theta) + x[b] * Math.cos(theta);
  }
  return out;
}

test("RoPE: rotating a key roped at p by (q − p) equals roping it at q; −p un-ropes; partial RoPE leaves the rest", () => {
  for (const kind of ["norm", "neox"] as const) {
    const p: RopeParams = {kind, headDim: 8, nDims: 6, freqBase: 10000, freqScale: 0.5};
    const raw = [0.3, -1.2, 0.7, 2.0, -0.4, 0.9, 1.5, -2.5];
    const heads = 2;
    const rowAt = (pos: number) => [
      ...ropeAt(raw, pos, p),
      ...ropeAt(
        raw.map((v) => -v),
        pos,
        p
      ),
    ];
    const rows = Float32Array.from([...rowAt(5), ...rowAt(1000)]);
    rotateRows(rows, 16, heads, [37, -1000], p, ropeThetas(p));
    const want = [...rowAt(42), ...rowAt(0)];
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(rows[i] - want[i]) < 1e-4, `${kind}[${i}]: ${rows[i]} vs ${want[i]}`);
    assert.equal(rows[6], raw[6], "channels past nDims are not rotated");
  }
  assert.throws(() => ropeThetas({kind: "norm", headDim: 8, nDims: 5, freqBase: 1e4}), DynSplitInputError);
});

test("Quest bound: never below the best token's logit, and the block holding a matching key ranks first", async () => {
  const {queryBoundScores} = await import("../../src/core/blockScoring");
  const d = 4;
  const keys = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    /* block 1 */ [0, 0, 5, 0],
    [0.1, 0.1, 0, 0],
    /* block 2 */ [-1, 0, 0, 1],
    [0, -1, 1, 0],
  ];
  const lo = new Float32Array(3 * d).fill(Infinity);
  const hi = new Float32Array(3 * d).fill(-Infinity);
  keys.forEach((k, t) =>
    k.forEach(
      (v, c) => ((lo[(t >> 1) * d + c] = Math.min(lo[(t >> 1) * d + c], v)), (hi[(t >> 1) * d + c] = Math.max(hi[(t >> 1) * d + c], v)))
    )
  );
  const q = Float32Array.from([0.2, -0.1, 1, 0.3]);
  const s = queryBoundScores(lo, hi, 3, q, 1, 1, 1, 1, d);
  for (let b = 0; b < 3; b++) {
    const best = Math.max(...keys.slice(2 * b, 2 * b + 2).map((k) => k.reduce((a, v, c) => a + v * q[c], 0)));
    assert.ok(s[b] * Math.sqrt(d) >= best - 1e-6, `block ${b}: bound ${s[b] * 2} ≥ best logit ${best}`);
  }
  assert.ok(s[1] > s[0] && s[1] > s[2]);
  assert.throws(() => queryBoundScores(lo, hi, 3, Float32Array.from([1, 2, 3, 4, 5, 6]), 1, 1, 3, 2, 2), /do not split/);
});

test("key similarity: the block holding the query's own key scores highest; segments are averaged", () => {
  const segments = 2;
  const dim = 4;
  const summary = normaliseSegments(
    Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, /* block 1 */ 0, 0, 1, 0, 0, 0, 0, 1, /* block 2 */ 1, 1, 0, 0, 0, 1, 1, 0]),
    3,
    segments,
    dim
  );
  const query = normaliseSegments(Float32Array.from([0, 0, 2, 0, 0, 0, 0, 3]), 1, segments, dim);
  const s = keySimilarity(summary, 3, query, 1, segments, dim);
  assert.ok(Math.abs(s[1] - 1) < 1e-6);
  assert.ok(s[1] > s[0] && s[1] > s[2]);
  const combined = combineStandardised(
    [
      {scores: Float32Array.from([0, 10, 0]), weight: 1},
      {scores: Float32Array.from([1, 1, 1]), weight: 5},
    ],
    3
  );
  assert.ok(combined[1] > 1 && Math.abs(combined[0] - combined[2]) < 1e-6, "a constant part adds nothing");
  assert.deepEqual([...spreadToNext(Float32Array.from([4, 0, 1, 0]), Int32Array.from([0, 0, 1, 1]), 0.5)], [4, 2, 1, 0.5]);
});

test("code terms: identifiers and their parts, lower-cased, stop words dropped", () => {
  assert.deepEqual(codeTerms("Q: retryLimit_ms = "), ["retrylimit_ms", "retry", "limit", "ms"]);
  assert.deepEqual(codeTerms("What is the HTTPServer port 8080?"), ["httpserver", "http", "server", "port", "8080"]);
  assert.deepEqual(codeTerms("const timeout_unwyd = 41;"), ["const", "timeout_unwyd", "timeout", "unwyd", "41"]);
});

test("block summaries: each block's per-channel key range with RoPE taken off, per layer and head", async () => {
  const {blockKeySummaries, ropeTrigTable} = await import("../../src/engine/store/blockSummaries");
  for (const kind of ["norm", "neox"] as const) {
    const rope: RopeParams = {kind, headDim: 8, nDims: 6, freqBase: 10000};
    const heads = 2;
    const row = heads * 8;
    const n = 12;
    const raw = Float32Array.from({length: n * row}, (_, i) => Math.sin(i * 1.7) + (i % 5) * 0.1);
    const roped = Float32Array.from(raw);
    rotateRows(
      roped,
      row,
      heads,
      Float64Array.from({length: n}, (_, t) => 100 + t),
      rope
    );
    const state = {
      positions: Int32Array.from({length: n}, (_, t) => 100 + t),
      layers: [{layer: 0, kRowElems: row, K: roped}],
    } as unknown as ParsedSeqState; // only the fields the summaries read
    const offsets = Int32Array.from([0, 5, 12]);
    const s = blockKeySummaries(state, 0, offsets, {rope, nHeadKv: heads, headDim: 8, layers: [0], trig: ropeTrigTable(rope, 200)});
    assert.equal(s.length, 2 * 2 * row, "two blocks × (min, max) × heads × channels");
    for (let b = 0; b < 2; b++)
      for (let c = 0; c < row; c++) {
        let lo = Infinity;
        let hi = -Infinity;
        for (let t = offsets[b]; t < offsets[b + 1]; t++) {
          lo = Math.min(lo, raw[t * row + c]);
          hi = Math.max(hi, raw[t * row + c]);
        }
        assert.ok(Math.abs(s[b * 2 * row + c] - lo) < 1e-4, `${kind} block ${b} channel ${c} min: ${s[b * 2 * row + c]} vs ${lo}`);
        assert.ok(Math.abs(s[b * 2 * row + row + c] - hi) < 1e-4, `${kind} block ${b} channel ${c} max`);
      }
  }
});
