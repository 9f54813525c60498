import assert from "node:assert/strict";
import {test} from "node:test";
import fc from "fast-check";
import {DynSplitInputError} from "../../src/core/errors";
import {MIN_RATIO_BUDGET_TOKENS, planBudget, planStream} from "../../src/core/sessionPlan";

const model = {handlesContextTokens: 4096, maxAnswerTokens: 8};

test("a ratio budget is floored at a usable context and capped at what the model handles; a token budget is used as set", () => {
  assert.equal(planBudget({ratio: 0.25}, 100, model), 100, "a small workspace is read whole");
  assert.equal(planBudget({ratio: 0.25}, 1000, model), MIN_RATIO_BUDGET_TOKENS, "never below 512 tokens");
  assert.equal(planBudget({ratio: 0.25}, 8000, model), 2000);
  assert.equal(planBudget({ratio: 0.25}, 173_000, model), 4096 - 8 - 64, "a 173k-token folder does not get a 43k-token context");
  assert.equal(planBudget({tokens: 20_000}, 173_000, model), 20_000, "what the user set");
  assert.equal(planBudget({ratio: 0.1, exact: true}, 1000, model), 100, "a benchmark's exact share");
  fc.assert(
    fc.property(fc.integer({min: 1, max: 2_000_000}), fc.double({min: 0.001, max: 1, noNaN: true}), (n, r) => {
      const b = planBudget({ratio: r}, n, model);
      return b >= Math.min(n, MIN_RATIO_BUDGET_TOKENS) && b <= Math.max(Math.min(n, MIN_RATIO_BUDGET_TOKENS), 4096 - 72);
    })
  );
});

test("the stream plan: two small files at the default ratio are read whole instead of failing on their headers", () => {
  const p = planStream({
    budget: {ratio: 0.25},
    documentTokens: 40,
    headerTokens: 11,
    promptTokens: 10,
    files: 2,
    maxAnswerTokens: 8,
    handlesContextTokens: 4096,
  });
  assert.equal(p.budgetTokens, 50);
  assert.ok(p.recentWindow <= Math.floor(p.budgetTokens / 4));
  assert.equal(p.contextSize, p.budgetTokens + p.chunkTokens + p.reserveTokens);
});

test("the stream plan paces compressions every quarter budget, reserves the question and answer, and refuses an impossible token budget", () => {
  const p = planStream({
    budget: {tokens: 2048},
    documentTokens: 50_000,
    headerTokens: 290,
    promptTokens: 10,
    files: 40,
    questionTokens: 12,
    maxAnswerTokens: 8,
    handlesContextTokens: 4096,
  });
  assert.deepEqual([p.budgetTokens, p.chunkTokens, p.reserveTokens, p.recentWindow, p.nSink], [2048, 512, 12 + 8 + 16, 64, 4]);
  const full = planStream({
    budget: {ratio: 0.25},
    documentTokens: 50_000,
    headerTokens: 290,
    promptTokens: 10,
    files: 40,
    maxAnswerTokens: 8,
    handlesContextTokens: 4096,
    keepsEverything: true,
  });
  assert.equal(full.budgetTokens, 50_010, "the full cache is never capped: it would overflow its own context");
  assert.throws(
    () =>
      planStream({
        budget: {tokens: 100},
        documentTokens: 50_000,
        headerTokens: 290,
        promptTokens: 10,
        files: 40,
        maxAnswerTokens: 8,
        handlesContextTokens: 4096,
      }),
    (e: Error) => e instanceof DynSplitInputError && /40 file headers alone need 300 tokens, the budget is 100/.test(e.message)
  );
});
