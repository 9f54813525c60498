import assert from "node:assert/strict";
import {test} from "node:test";
import fc from "fast-check";
import {boundaryScores} from "../../src/core/boundaryScores";
import {ddSelect, fixedChunks} from "../../src/core/ddSelect";
import {delimiterStrengths} from "../../src/core/delimiters";
import {DynSplitInputError} from "../../src/core/errors";
import {randomSignal, randomTokens, streamWithSignal} from "../helpers/tokenStreams";

const opts = {alpha: 1, window: 8, structureWeight: 0.25};

function lengths(offsets: Int32Array): number[] {
  const out = [];
  for (let b = 0; b + 1 < offsets.length; b++) out.push(offsets[b + 1] - offsets[b]);
  return out;
}

test("blocks cover the input and lengths stay in [C−Δ, C+Δ] except the last", () => {
  const texts = randomTokens(5000, 7);
  const st = delimiterStrengths(texts);
  const w = boundaryScores(st, {kind: "t", tokenScores: randomSignal(5000, 3)}, opts);
  const offsets = ddSelect(st, w, {blockSize: 16, tolerance: 6});
  assert.equal(offsets[0], 0);
  assert.equal(offsets[offsets.length - 1], 5000);
  const ls = lengths(offsets);
  ls.slice(0, -1).forEach((l) => assert.ok(l >= 10 && l <= 22, `length ${l}`));
  assert.ok(ls[ls.length - 1] <= 22);
});

test("boundaries land on delimiters whenever one is in range, else on the ideal end", () => {
  const texts = randomTokens(3000, 11);
  const st = delimiterStrengths(texts);
  const w = boundaryScores(st, {kind: "t", tokenScores: randomSignal(3000, 5)}, opts);
  const C = 12;
  const D = 4;
  const offsets = ddSelect(st, w, {blockSize: C, tolerance: D});
  for (let b = 0; b + 2 < offsets.length; b++) {
    const s = offsets[b];
    const end = offsets[b + 1];
    let anyCandidate = false;
    for (let i = s + C - D - 1; i <= s + C + D - 1; i++) if (st[i] > 0) anyCandidate = true;
    if (anyCandidate) {
      assert.ok(st[end - 1] > 0, `block ${b} ends on a non-delimiter`);
      // and it is the best-weighted candidate in range
      for (let i = s + C - D - 1; i <= s + C + D - 1; i++) if (st[i] > 0) assert.ok(w[i] <= w[end - 1]);
    } else assert.equal(end - s, C);
  }
});

test("DD-Select is dynamic: the same text splits differently under different importance", () => {
  const texts = randomTokens(2000, 21);
  const st = delimiterStrengths(texts);
  const a = ddSelect(st, boundaryScores(st, {kind: "t", tokenScores: randomSignal(2000, 1)}, opts), {blockSize: 16, tolerance: 8});
  const b = ddSelect(st, boundaryScores(st, {kind: "t", tokenScores: randomSignal(2000, 2)}, opts), {blockSize: 16, tolerance: 8});
  assert.notDeepEqual(Array.from(a), Array.from(b));
});

test("attention masses: the cut goes where the following queries look locally", () => {
  // 40 tokens, candidates at 15 and 19 (both in range for C=16, Δ=4); queries after 19 attend locally.
  const texts = Array.from({length: 40}, (_, i) => (i === 15 || i === 19 ? ";" : "x"));
  const local = new Float32Array(40).fill(0.2);
  const distant = new Float32Array(40).fill(0.8);
  for (let q = 20; q < 28; q++) {
    local[q] = 0.9;
    distant[q] = 0.1;
  }
  const st = delimiterStrengths(texts);
  const w = boundaryScores(st, {kind: "attention", tokenScores: new Float32Array(40), localMass: local, distantMass: distant}, opts);
  const offsets = ddSelect(st, w, {blockSize: 16, tolerance: 4});
  assert.equal(offsets[1], 20);
});

test("forced starts (file starts) are never crossed", () => {
  const texts = randomTokens(400, 5);
  const st = delimiterStrengths(texts);
  const forced = [37, 38, 150, 151, 399];
  const offsets = ddSelect(st, boundaryScores(st, undefined, opts), {blockSize: 16, tolerance: 8, forcedStarts: forced});
  for (const f of forced) assert.ok(offsets.includes(f), `block must start at ${f}`);
});

test("fixed chunks are exactly the chunk size except the last", () => {
  const offsets = fixedChunks(105, 10);
  assert.deepEqual(lengths(offsets), [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
});

test("bad segmentation options get clear errors", () => {
  const st = new Uint8Array(10);
  const w = new Float32Array(10);
  assert.throws(() => ddSelect(st, w, {blockSize: 0, tolerance: 0}), DynSplitInputError);
  assert.throws(() => ddSelect(st, w, {blockSize: 8, tolerance: 8}), /tolerance/);
  assert.throws(() => fixedChunks(10, 0), /chunkSize/);
});

test("property: offsets strictly increase, cover [0, n), lengths bounded, deterministic", () => {
  fc.assert(
    fc.property(streamWithSignal, fc.integer({min: 2, max: 40}), fc.integer({min: 0, max: 100}), ({texts, scores}, C, dPct) => {
      const D = Math.floor(((C - 1) * dPct) / 100);
      const st = delimiterStrengths(texts);
      const w = boundaryScores(st, {kind: "t", tokenScores: scores}, opts);
      const o1 = ddSelect(st, w, {blockSize: C, tolerance: D});
      const o2 = ddSelect(st, w, {blockSize: C, tolerance: D});
      assert.deepEqual(o1, o2);
      assert.equal(o1[0], 0);
      assert.equal(o1[o1.length - 1], texts.length);
      const ls = lengths(o1);
      ls.forEach((l, i) => {
        assert.ok(l >= 1 && l <= C + D);
        if (i < ls.length - 1) assert.ok(l >= C - D);
      });
    }),
    {numRuns: 200}
  );
});
