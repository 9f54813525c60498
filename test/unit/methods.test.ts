import assert from "node:assert/strict";
import {test} from "node:test";
import fc from "fast-check";
import {createMethod, DynSplitInputError, METHOD_NAMES, resolveBudget, type CompressionInput, type CompressionResult} from "../../src/core";
import {randomSignal, randomTokens, streamWithSignal} from "../helpers/tokenStreams";

const COMPRESSING = METHOD_NAMES.filter((m) => m !== "full");

function checkInvariants(result: CompressionResult, input: CompressionInput, nSink: number, recent: number) {
  const n = input.tokenTexts.length;
  const keepCount = resolveBudget(input.budget, n);
  if (result.method === "full") assert.equal(result.keptTokens, n);
  else assert.equal(result.keptTokens, keepCount, `${result.method} keeps exactly the budget`);
  assert.equal(result.keep[0], 1, "token 0 is never evicted");
  for (let i = 0; i < Math.min(nSink, n); i++) assert.equal(result.keep[i], 1, "sinks kept");
  for (let i = Math.max(0, n - recent); i < n; i++) assert.equal(result.keep[i], 1, "recent window kept");
  if (input.pinned) for (let i = 0; i < n; i++) if (input.pinned[i]) assert.equal(result.keep[i], 1, "pinned kept");
  // ranges: sorted, disjoint, non-adjacent (merged), and exactly the evicted tokens
  let covered = 0;
  for (const [k, r] of result.evict.entries()) {
    assert.ok(r.end > r.start);
    assert.ok(r.start > 0, "never erase from position 0");
    if (k > 0) assert.ok(r.start > result.evict[k - 1].end, "sorted, disjoint and merged");
    for (let p = r.start; p < r.end; p++) assert.equal(result.keep[p], 0);
    covered += r.end - r.start;
  }
  assert.equal(covered, n - result.keptTokens);
  const keptByRanges = result.keepRanges.reduce((a, r) => a + r.end - r.start, 0);
  assert.equal(keptByRanges, result.keptTokens);
  // the block map covers the input and agrees with the mask
  assert.equal(result.blocks[0].start, 0);
  assert.equal(result.blocks[result.blocks.length - 1].end, n);
  assert.equal(
    result.blocks.reduce((a, b) => a + b.keptTokens, 0),
    result.keptTokens
  );
}

function input(n: number, ratio: number, seed = 1): CompressionInput {
  return {tokenTexts: randomTokens(n, seed), signal: {kind: "test", tokenScores: randomSignal(n, seed + 1)}, budget: {ratio}};
}

for (const name of METHOD_NAMES) {
  test(`${name}: budget, sinks, recent window, ranges and determinism`, () => {
    for (const ratio of [0.1, 0.25, 0.5, 1]) {
      const inp = input(3000, ratio);
      const method = createMethod(name, {nSink: 4, recentWindow: 32});
      const r1 = method.compress(inp);
      checkInvariants(r1, inp, 4, 32);
      const r2 = createMethod(name, {nSink: 4, recentWindow: 32}).compress(inp);
      assert.deepEqual(r1.evict, r2.evict, "deterministic");
    }
  });
}

test("absolute token budgets and pinned tokens (file headers) are honoured", () => {
  const n = 2000;
  const pinned = new Uint8Array(n);
  for (let i = 500; i < 510; i++) pinned[i] = 1;
  for (const name of COMPRESSING) {
    const inp: CompressionInput = {...input(n, 1), budget: {tokens: 300}, pinned};
    const r = createMethod(name, {nSink: 4, recentWindow: 16}).compress(inp);
    checkInvariants(r, inp, 4, 16);
  }
});

test("positions: ranges are emitted in sequence positions and split at gaps", () => {
  const n = 100;
  const positions = Array.from({length: n}, (_, i) => (i < 50 ? i + 10 : i + 20)); // a gap of 10 at index 50
  const r = createMethod("streaming", {nSink: 2, recentWindow: 2}).compress({tokenTexts: randomTokens(n), positions, budget: {tokens: 4}});
  assert.deepEqual(r.evict, [
    {start: 12, end: 60},
    {start: 70, end: 118},
  ]);
});

test("score-driven methods keep the important region at a small budget; random and streaming do not", () => {
  const n = 4000;
  const texts = randomTokens(n, 3);
  const scores = new Float32Array(n).fill(0.01);
  for (let i = 1500; i < 1512; i++) scores[i] = 5; // the needle
  const inp: CompressionInput = {tokenTexts: texts, signal: {kind: "test", tokenScores: scores}, budget: {ratio: 0.05}};
  for (const name of ["dynsplit", "chunkkv", "snapkv", "delimiter"]) {
    const r = createMethod(name, {nSink: 4, recentWindow: 64}).compress(inp);
    for (let i = 1500; i < 1512; i++) assert.equal(r.keep[i], 1, `${name} keeps needle token ${i}`);
  }
  const s = createMethod("streaming", {nSink: 4, recentWindow: 64}).compress(inp);
  assert.equal(s.keep[1505], 0);
});

test("dynsplit blocks respect C±Δ and the block map reports boundary delimiters", () => {
  const inp = input(5000, 0.3, 9);
  const r = createMethod("dynsplit", {blockSize: 20, tolerance: 5}).compress(inp);
  const inner = r.blocks.slice(0, -1);
  for (const b of inner) assert.ok(b.end - b.start >= 15 && b.end - b.start <= 25);
  assert.ok(inner.filter((b) => b.boundary.trim() === "" || /[\n;}{).,:?!]/.test(b.boundary)).length > inner.length * 0.9);
});

test("dynsplit without uniform mapping scores block by block and keeps exactly the same tokens", () => {
  for (const aggregate of ["mean", "sum", "max"] as const)
    for (const seed of [3, 11]) {
      const inp = input(4000, 0.2, seed);
      const on = createMethod("dynsplit", {aggregate}).compress(inp);
      const off = createMethod("dynsplit", {aggregate, uniformMapping: false}).compress(inp);
      assert.deepEqual(off.keep, on.keep, `${aggregate}: same selection`);
      assert.deepEqual(
        off.blocks.map((b) => b.score),
        on.blocks.map((b) => b.score),
        `${aggregate}: same block scores`
      );
    }
});

test("bad input gets a clear error", () => {
  const ok = input(100, 0.5);
  const m = createMethod("dynsplit");
  assert.throws(() => m.compress({...ok, budget: {ratio: 0}}), /budget ratio must be in \(0, 1\]/);
  assert.throws(() => m.compress({...ok, budget: {ratio: -0.1}}), DynSplitInputError);
  assert.throws(() => m.compress({...ok, budget: {ratio: 1.5}}), /budget ratio/);
  assert.throws(() => m.compress({...ok, budget: {tokens: 0}}), /budget tokens/);
  assert.throws(() => m.compress({...ok, tokenTexts: []}), /empty input/);
  assert.throws(() => m.compress({...ok, signal: {kind: "x", tokenScores: new Float32Array(99)}}), /99 entries but there are 100 tokens/);
  const nan = new Float32Array(100);
  nan[42] = NaN;
  assert.throws(() => m.compress({...ok, signal: {kind: "x", tokenScores: nan}}), /tokenScores\[42\] is NaN/);
  assert.throws(() => m.compress({...ok, budget: {tokens: 10}}), /smaller than the tokens that must be kept/);
  assert.throws(() => createMethod("nope"), /unknown method "nope"/);
  assert.throws(() => createMethod("dynsplit", {blockSize: 4, tolerance: 9}), /tolerance/);
  assert.throws(() => m.compress({...ok, positions: Array.from({length: 100}, () => 3)}), /strictly increasing/);
});

test("property: every method keeps its invariants on random streams and signals", () => {
  fc.assert(
    fc.property(
      streamWithSignal,
      fc.constantFrom(...METHOD_NAMES),
      fc.double({min: 0.01, max: 1, noNaN: true}),
      fc.integer({min: 0, max: 8}),
      fc.integer({min: 0, max: 40}),
      ({texts, scores}, name, ratio, nSink, recent) => {
        const inp: CompressionInput = {tokenTexts: texts, signal: {kind: "p", tokenScores: scores}, budget: {ratio}};
        const keepCount = resolveBudget(inp.budget, texts.length);
        const required = new Set<number>([0]);
        for (let i = 0; i < Math.min(nSink, texts.length); i++) required.add(i);
        for (let i = Math.max(0, texts.length - recent); i < texts.length; i++) required.add(i);
        const m = createMethod(name, {nSink, recentWindow: recent});
        if (required.size > keepCount && name !== "full") {
          assert.throws(() => m.compress(inp), DynSplitInputError);
          return;
        }
        checkInvariants(m.compress(inp), inp, nSink, recent);
      }
    ),
    {numRuns: 300}
  );
});
