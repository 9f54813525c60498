import assert from "node:assert/strict";
import {test} from "node:test";
import {cardAccuracy, caseWorkspaces, fewestRight, openTestEngine, writeWorkspace} from "../helpers/engineFixtures";
import {formatFact, generateCase} from "../../src/corpus";
import {isCorrect} from "../../src/cli/answerMatch";

test(
  "a repository ten times larger than the allocated context is read with KV memory bounded by the budget",
  {timeout: 240_000},
  async () => {
    const engine = await openTestEngine();
    try {
      const big = generateCase(9_200_001, {contextTokens: 14_000, needleDepth: 0.3});
      const dir = writeWorkspace(big.files);
      const budgetTokens = 512;
      let peak = 0;
      const s = await engine.ingest(
        {
          roots: [dir],
          answerFrom: "reread",
          method: "dynsplit",
          budget: {tokens: budgetTokens},
          signal: "keyNorm",
          question: big.question,
          useCache: false,
        },
        {onProgress: (p) => (peak = Math.max(peak, p.tokensKept))}
      );
      const contextSize = s.memory.contextSize;
      assert.ok(s.tokensRead >= 10 * contextSize, `read ${s.tokensRead} tokens through a context of ${contextSize}`);
      assert.ok(peak <= contextSize, `peak occupancy ${peak} stays within the allocated ${contextSize} cells`);
      assert.equal(s.tokensKept, budgetTokens, "ends exactly at the budget");
      assert.equal(s.memory.kvBytesAllocated, contextSize * s.memory.kvBytesPerToken);
      assert.ok(s.memory.kvBytesFullCache >= 10 * s.memory.kvBytesAllocated, "a full cache would need ten times the memory");
      assert.ok(s.compressions >= 10, `${s.compressions} compression points`);
      // The block map covers every file read, each block with its lines.
      const fileBlocks = s.blocks.filter((b) => b.file);
      assert.equal(new Set(fileBlocks.map((b) => b.file)).size, s.files);
      assert.ok(fileBlocks.every((b) => b.startLine >= 1 && b.endLine >= b.startLine));
      const a = await engine.ask(big.question);
      console.log(
        `10× case: answer "${a.answer}" (expected ${big.answer}), ${s.tokensRead} read, ${s.tokensKept} kept, context ${contextSize}`
      );
      const needleLine = formatFact(big.needle);
      assert.ok(
        s.blocks.some((x) => x.keptTokens > 0 && x.text.includes(needleLine)),
        "the planted fact survives 27× compression whole, query-aware"
      );
      // Whether the model then reads it right is its accuracy (the card's), measured over many cases elsewhere.
      assert.ok(a.answerTokens > 0, "and the model answers from it");
    } finally {
      await engine.dispose();
    }
  }
);

test("planted facts are answered right with DynSplit at a 25 % budget", {timeout: 300_000}, async () => {
  const engine = await openTestEngine();
  try {
    const cases = caseWorkspaces(10, {contextTokens: 1000});
    let correct = 0;
    for (const {c, dir} of cases) {
      const s = await engine.ingest({
        roots: [dir],
        answerFrom: "reread",
        method: "dynsplit",
        budget: {ratio: 0.25, exact: true},
        signal: "keyNorm",
        question: c.question,
        useCache: false,
      });
      assert.ok(s.tokensKept <= Math.ceil(0.25 * (s.tokensRead + 64)));
      const a = await engine.ask(c.question);
      if (isCorrect(a.answer, c.answer)) correct++;
    }
    console.log(`DynSplit @25 %: ${correct}/10 correct`);
    assert.ok(correct >= fewestRight(10, cardAccuracy(250)), `${correct}/10 planted facts answered right`);
  } finally {
    await engine.dispose();
  }
});

test(
  "the persistent cache answers a reopened workspace without re-reading; a changed file invalidates it",
  {timeout: 180_000},
  async () => {
    const c = generateCase(9_300_001, {contextTokens: 1000});
    const dir = writeWorkspace(c.files);
    const engine = await openTestEngine();
    try {
      const request = {
        roots: [dir],
        answerFrom: "reread" as const,
        method: "dynsplit" as const,
        budget: {ratio: 0.5},
        signal: "keyNorm" as const,
        question: c.question,
      };
      const cold = await engine.ingest(request);
      const coldAnswer = await engine.ask(c.question);
      const warm = await engine.ingest(request);
      const warmAnswer = await engine.ask(c.question);
      assert.equal(cold.fromCache, false);
      assert.equal(warm.fromCache, true);
      assert.equal(warm.tokensKept, cold.tokensKept);
      assert.equal(warmAnswer.answer, coldAnswer.answer);
      console.log(
        `persistent cache: cold ${cold.ingestMs.toFixed(0)} ms, warm ${warm.ingestMs.toFixed(0)} ms (${(cold.ingestMs / warm.ingestMs).toFixed(1)}×)`
      );
      const first = Object.keys(c.files)[0];
      const {appendFileSync} = await import("node:fs");
      appendFileSync(`${dir}/${first}`, "// edited\n");
      const changed = await engine.ingest(request);
      assert.equal(changed.fromCache, false, "an edited file invalidates the entry");
    } finally {
      await engine.dispose();
    }
  }
);

test("clear errors: a workspace too large for the budget, an empty folder, asking before loading", {timeout: 60_000}, async () => {
  const engine = await openTestEngine();
  try {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`src/module_${i}/file_${i}.ts`] = `export const x${i} = ${i};\n`;
    await assert.rejects(
      engine.ingest({roots: [writeWorkspace(files)], answerFrom: "once", budget: {tokens: 64}, signal: "keyNorm"}),
      /too large for the budget/
    );
    await assert.rejects(
      engine.ingest({roots: [writeWorkspace({"a.bin": "\u0000\u0001\u0002"})], budget: {ratio: 0.5}}),
      /nothing to read/
    );
    await assert.rejects(engine.ask("Q: x? A: "), /no workspace is loaded/);
  } finally {
    await engine.dispose();
  }
});
