import assert from "node:assert/strict";
import {test} from "node:test";
import fc from "fast-check";
import {scoreSummaries, summariseBlockKeys, scoreBlocksTokenwise} from "../../src/core/blockKeySummary";
import {fixedChunks} from "../../src/core/ddSelect";
import {raggedBlocks, scoreRaggedBlocks} from "../../src/core/raggedScoring";
import {buildUniformLayout, scoreBlocks, scoreUniformLayout} from "../../src/core/uniformLayout";
import {randomSignal} from "../helpers/tokenStreams";

test("uniform layout and ragged blocks give the same scores (sum, mean, max)", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({min: 1, max: 24}), {minLength: 1, maxLength: 200}), fc.integer(), (lens, seed) => {
      const offsets = Int32Array.from([0, ...lens.map((_, i) => lens.slice(0, i + 1).reduce((a, b) => a + b, 0))]);
      const n = offsets[offsets.length - 1];
      const scores = randomSignal(n, seed);
      for (const agg of ["sum", "mean", "max"] as const) {
        const u = scoreUniformLayout(buildUniformLayout(offsets, scores, 24, agg));
        const r = scoreRaggedBlocks(raggedBlocks(offsets), scores, agg);
        for (let b = 0; b < u.length; b++) assert.ok(Math.abs(u[b] - r[b]) <= 1e-4 * Math.max(1, Math.abs(r[b])), `${agg} block ${b}`);
      }
    }),
    {numRuns: 100}
  );
});

test("the layout refuses a block longer than its slot", () => {
  assert.throws(() => buildUniformLayout(Int32Array.of(0, 30), new Float32Array(30), 24, "sum"), /more than the slot/);
  assert.equal(scoreBlocks(Int32Array.of(0, 30), new Float32Array(30).fill(1), "sum")[0], 30);
});

test("block key summaries bound every token's q·k from above and rank the needle block first", () => {
  const dim = 8;
  const n = 200;
  const keys = randomSignal(n * dim, 4).map((v) => v - 0.5);
  const query = new Float32Array(dim).fill(1);
  for (let d = 0; d < dim; d++) keys[123 * dim + d] = 3; // a key aligned with the query
  const offsets = fixedChunks(n, 10);
  const bound = scoreSummaries(summariseBlockKeys(offsets, keys, dim), query);
  const exact = scoreBlocksTokenwise(offsets, keys, dim, query);
  for (let b = 0; b < bound.length; b++) assert.ok(bound[b] >= exact[b] - 1e-5);
  const best = bound.indexOf(Math.max(...bound));
  assert.equal(best, 12);
});
