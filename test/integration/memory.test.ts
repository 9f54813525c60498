/**
 * The repository memory on the bundled model and real code of this machine (the Python standard library): one ingest
 * into the block store, many questions from all of it, incremental re-reads, restores that match the live session,
 * loads that fail or are cancelled without losing the previous workspace, and a 10,000-file workspace.
 */
import assert from "node:assert/strict";
import {appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {test} from "node:test";
import {isCorrect} from "../../src/cli/answerMatch";
import {formatFact, formatQuestion} from "../../src/corpus";
import {plantFacts} from "../../src/corpus/plantFacts";
import {realCodeFiles} from "../../src/corpus/realCode";
import {Engine} from "../../src/engine/engine";
import {l1Distance} from "../../src/engine/session/generateAnswer";
import {ROOT, cardAccuracy, fewestRight, writeWorkspace} from "../helpers/engineFixtures";

async function engineAt(cacheDir: string) {
  const engine = new Engine({packageRoot: ROOT, cacheDir, threads: 1, probe: "off", gpuLayers: "off"});
  await engine.loadModel("bundled");
  return engine;
}

const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix));

/** ~20k tokens of real Python with 8 planted facts (and 16 prefix/suffix-sharing distractors). */
function plantedWorkspace(seed: number, facts = 8, chars = 55_000) {
  const ws = plantFacts(realCodeFiles({chars, seed}), {facts, seed});
  return {...ws, dir: writeWorkspace(ws.files)};
}

for (const placement of ["restore", "prefill"] as const) {
  test(
    `memory (${placement}): several questions after one ingest are answered from the store, the folder itself gone`,
    {timeout: 180_000},
    async () => {
      const ws = plantedWorkspace(11);
      const engine = await engineAt(tmp("dynsplit-mem-"));
      try {
        const s = await engine.ingest({roots: [ws.dir], budget: {tokens: 1024}, placement});
        assert.equal(s.answerFrom, "memory");
        assert.equal(s.store?.placement, placement);
        assert.ok(s.tokensRead > 10_000 && s.tokensRead === s.tokensTotal - 1, `read ${s.tokensRead} of ${s.tokensTotal} tokens once`);
        assert.ok(s.memory.kvBytesFullCache > 10 * s.memory.kvBytesAllocated, "the live context is a tenth of a full cache");
        rmSync(ws.dir, {recursive: true, force: true}); // nothing may read the workspace again
        let right = 0;
        for (const f of ws.facts) {
          const a = await engine.ask(f.question);
          if (isCorrect(a.answer, f.value)) right++;
          assert.ok(a.tokensKept <= 1024, `kept ${a.tokensKept} ≤ the budget`);
          assert.ok(
            a.selection!.some((x) => x.path === f.path) || !isCorrect(a.answer, f.value),
            "a right answer came from the fact's file"
          );
          if (placement === "restore") assert.equal(a.tokensPrefilled, 0, "restore places blocks without prefill");
          else assert.ok(a.tokensPrefilled <= a.tokensKept, "prefill evaluates at most the selected blocks, never the workspace");
          assert.ok(a.firstTokenMs != null && a.firstTokenMs < a.totalMs + 1e-6);
        }
        console.log(`memory ${placement}: ${right}/${ws.facts.length} right over ${s.tokensTotal} tokens at a 1,024-token budget`);
        assert.ok(
          right >= fewestRight(ws.facts.length, cardAccuracy(1024, "real-code")),
          `${right}/${ws.facts.length} facts answered right`
        );
      } finally {
        await engine.dispose();
      }
    }
  );
}

test(
  "memory: an edit re-reads only that file, an unchanged reopen reads nothing, a deleted file leaves the store",
  {timeout: 180_000},
  async () => {
    const ws = plantedWorkspace(12, 4);
    const cacheDir = tmp("dynsplit-mem-");
    let engine = await engineAt(cacheDir);
    try {
      const first = await engine.ingest({roots: [ws.dir], budget: {tokens: 1024}});
      const reopen = await engine.ingest({roots: [ws.dir], budget: {tokens: 1024}});
      assert.equal(reopen.tokensRead, 0, "an unchanged workspace reads no file");
      assert.equal(reopen.store?.fromStore, true);
      assert.equal(reopen.store?.bytes, first.store?.bytes);

      const files = Object.keys(ws.files).sort();
      const edited = files[1];
      appendFileSync(path.join(ws.dir, edited), `${formatFact({key: "batch_quota", value: "417"})}\n`);
      const after = await engine.ingest({roots: [ws.dir], budget: {tokens: 1024}});
      assert.equal(after.store?.filesRead, 1, "one file re-read");
      const editedTokens = after.fileMap.find((f) => f.path === edited)!.tokens;
      assert.equal(after.tokensRead, editedTokens, `re-read ${after.tokensRead} tokens = the edited file's ${editedTokens}`);
      const a = await engine.ask(formatQuestion("batch_quota"));
      assert.equal(a.answer, "417", "the edit is answered");

      // A new process over the same cache: the store, not the files.
      await engine.dispose();
      engine = await engineAt(cacheDir);
      const fresh = await engine.ingest({roots: [ws.dir], budget: {tokens: 1024}});
      assert.equal(fresh.tokensRead, 0, "a reopened workspace in a new process reads nothing");
      assert.equal((await engine.ask(formatQuestion("batch_quota"))).answer, "417");

      rmSync(path.join(ws.dir, files[0]));
      const deleted = await engine.ingest({roots: [ws.dir], budget: {tokens: 1024}});
      assert.equal(deleted.tokensRead, 0);
      assert.equal(deleted.store?.filesDeleted, 1);
      assert.ok(!deleted.fileMap.some((f) => f.path === files[0]), "the deleted file is gone from the map");
      const records = readdirSync(path.join(deleted.store!.dir, "records"));
      assert.equal(records.length, deleted.files + 1, "its record was removed (one record a file, plus the prompt)");
    } finally {
      await engine.dispose();
    }
  }
);

test(
  "restores match the live session: the block store and the persistent cache (no K-shift pending at save)",
  {timeout: 180_000},
  async () => {
    const ws = plantedWorkspace(13, 4);
    const cacheDir = tmp("dynsplit-mem-");
    const question = ws.facts[0].question;
    // An uncertain next token (the model guessing a key), where a mis-rotated key shows; a saturated answer would not.
    const probe = "Q: ";
    for (const [answerFrom, placement] of [
      ["memory", "restore"],
      ["memory", "prefill"],
      ["once", undefined],
    ] as const) {
      const live = await engineAt(cacheDir);
      const s1 = await live.ingest({roots: [ws.dir], answerFrom, placement, budget: {tokens: 768}, signal: "keyNorm"});
      if (answerFrom === "once") assert.ok(s1.compressions > 0, "the context was compressed before it was saved");
      const d1 = await live.nextTokenDistribution(question, probe);
      await live.dispose();
      const again = await engineAt(cacheDir);
      const s2 = await again.ingest({roots: [ws.dir], answerFrom, placement, budget: {tokens: 768}, signal: "keyNorm"});
      assert.equal(s2.fromCache, true, `${answerFrom}/${placement}: restored, not re-read`);
      const d2 = await again.nextTokenDistribution(question, probe);
      await again.dispose();
      const top = Math.max(...d1.values());
      const l1 = l1Distance(d1, d2);
      console.log(`${answerFrom}/${placement ?? "-"}: L1 live vs restored ${l1.toExponential(2)} (top p ${top.toFixed(3)})`);
      assert.ok(top < 0.9, `an uncertain distribution (top p ${top})`);
      assert.ok(l1 <= 0.005, `L1 ${l1} ≤ 0.005`);
    }
  }
);

test("memory: a failed or cancelled load leaves the previous workspace loaded and answering", {timeout: 180_000}, async () => {
  const ws = plantedWorkspace(14, 2);
  const engine = await engineAt(tmp("dynsplit-mem-"));
  try {
    await engine.ingest({roots: [ws.dir], budget: {tokens: 1024}});
    const before = await engine.ask(ws.facts[0].question);
    const big = plantedWorkspace(15, 1);
    const controller = new AbortController();
    await assert.rejects(
      engine.ingest(
        {roots: [big.dir], budget: {tokens: 1024}},
        {signal: controller.signal, onProgress: (p) => p.filesRead > 0 && controller.abort()}
      ),
      (err: Error) => err.name === "CancelledError"
    );
    await assert.rejects(engine.ingest({roots: ["/no/such/folder"], budget: {tokens: 1024}}), /not found/);
    assert.deepEqual(
      engine.ingestSummary?.fileMap.map((f) => f.path),
      Object.keys(ws.files).sort(),
      "still the first workspace"
    );
    assert.equal((await engine.ask(ws.facts[0].question)).answer, before.answer, "and it still answers");
    // The cancelled read left valid records: loading that workspace now reads only what was not finished.
    const resumed = await engine.ingest({roots: [big.dir], budget: {tokens: 1024}});
    assert.ok(resumed.tokensRead < resumed.tokensTotal, `resumed: read ${resumed.tokensRead} of ${resumed.tokensTotal}`);
  } finally {
    await engine.dispose();
  }
});

test("memory: a corrupt record or index is detected and rebuilt, never used", {timeout: 180_000}, async () => {
  const ws = plantedWorkspace(16, 3);
  const engine = await engineAt(tmp("dynsplit-mem-"));
  try {
    const s = await engine.ingest({roots: [ws.dir], budget: {tokens: 1024}});
    const dir = s.store!.dir;
    // Damage the record of the first fact's file (a byte in its token ids) and the index's checksum area.
    const fileOfFact = s.fileMap.findIndex((f) => f.path === ws.facts[0].path);
    assert.ok(fileOfFact >= 0);
    const manifest = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8"));
    const rec = path.join(dir, "records", `${manifest.files[fileOfFact].record}.rec`);
    const bytes = readFileSync(rec);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(rec, bytes);
    const index = readFileSync(path.join(dir, "index.bin"));
    index[40] ^= 0xff;
    writeFileSync(path.join(dir, "index.bin"), index);
    await engine.ingest({roots: [ws.dir], budget: {tokens: 1024}});
    // The record's kv rows are checked when first used: the damage is found at the question, the file read again.
    for (const f of ws.facts) assert.equal((await engine.ask(f.question)).answer, f.value, `${f.key} after the rebuild`);
    assert.equal(engine.ingestSummary?.store?.filesRead, 1, "the damaged file was read again");
    writeFileSync(path.join(dir, "manifest.json"), "{ truncated");
    const rebuilt = await engine.ingest({roots: [ws.dir], budget: {tokens: 1024}});
    assert.ok(
      rebuilt.tokensRead === 0 || rebuilt.store?.filesRead === rebuilt.files,
      "an unreadable manifest: the store is rebuilt from its valid records or from the files"
    );
    assert.equal((await engine.ask(ws.facts[0].question)).answer, ws.facts[0].value);
  } finally {
    await engine.dispose();
  }
});

test("memory: a 10,000-file workspace loads at the default budget, and reopens without reading", {timeout: 600_000}, async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 10_000; i++) files[`pkg_${Math.floor(i / 100)}/mod_${i}.py`] = `def f_${i}(x):\n    return x + ${i % 97}\n`;
  files["pkg_42/mod_4242.py"] += `${formatFact({key: "retry_limit", value: "61"})}\n`;
  const dir = writeWorkspace(files);
  const cacheDir = tmp("dynsplit-mem-");
  const engine = await engineAt(cacheDir);
  try {
    const t0 = performance.now();
    const s = await engine.ingest({roots: [dir], budget: {ratio: 0.25}});
    const ms = performance.now() - t0;
    assert.equal(s.files, 10_000);
    assert.ok(s.budgetTokens <= 4000, `the default ratio budget is capped at what the model handles (${s.budgetTokens})`);
    const a = await engine.ask(formatQuestion("retry_limit"));
    console.log(
      `10,000 files: ${s.tokensTotal} tokens read in ${(ms / 1000).toFixed(1)} s, store ${(s.store!.bytes / 2 ** 20).toFixed(1)} MiB; answer "${a.answer}" from ${a.selection?.length} files`
    );
    assert.equal(a.answer, "61");
    const t1 = performance.now();
    const reopen = await engine.ingest({roots: [dir], budget: {ratio: 0.25}});
    assert.equal(reopen.tokensRead, 0);
    console.log(`reopen: ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  } finally {
    await engine.dispose();
  }
});

test(
  "a quantized key cache (q8_0, q4_0): the repository memory answers from re-prefilled blocks; the compressed stream, whose K-shift crashes llama.cpp there, is refused with a message",
  {timeout: 300_000},
  async () => {
    const ws = plantedWorkspace(21, 4, 15_000);
    for (const kvCacheType of ["q8_0", "q4_0"] as const) {
      const engine = new Engine({
        packageRoot: ROOT,
        cacheDir: tmp("dynsplit-mem-q-"),
        threads: 1,
        probe: "off",
        gpuLayers: "off",
        kvCacheType,
      });
      try {
        const info = await engine.loadModel("bundled");
        assert.equal(info.kvCacheType, kvCacheType);
        // f16 K and V: 2 bytes × (K + V) × layers × KV width, from the card's hyperparameters.
        const h = (JSON.parse(readFileSync(path.join(ROOT, "models/card.json"), "utf8")) as {hparams: Record<string, number>}).hparams;
        const f16Bytes = 4 * h.nLayer * h.nHeadKv * (h.headDim ?? h.nEmbd / h.nHead);
        assert.ok(info.kvBytesPerToken < f16Bytes, `quantized keys take less than the ${f16Bytes} bytes of f16 (${info.kvBytesPerToken})`);
        assert.match(info.restoreUnsupported ?? "", /quantized/);
        const s = await engine.ingest({roots: [ws.dir], budget: {tokens: 1024}});
        assert.equal(s.store?.placement, "prefill");
        const answers = [];
        for (const f of ws.facts) answers.push((await engine.ask(f.question)).answer);
        const right = answers.filter((x, i) => isCorrect(x, ws.facts[i].value)).length;
        assert.ok(
          right >= fewestRight(ws.facts.length, cardAccuracy(1024, "real-code")),
          `${kvCacheType}: ${right}/${ws.facts.length} right`
        );
        await assert.rejects(engine.ingest({roots: [ws.dir], budget: {tokens: 1024}, answerFrom: "once"}), /K-shift.*--kv-cache f16/);
        assert.equal((await engine.ask(ws.facts[0].question)).answer, answers[0], "the memory stays loaded after the refusal");
      } finally {
        await engine.dispose();
      }
    }
  }
);
