import assert from "node:assert/strict";
import {spawnSync} from "node:child_process";
import {mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {test} from "node:test";
import {generateCase} from "../../src/corpus";
import type {EvalJson} from "../../src/cli/commands/eval";
import type {AskJson, AskQuestionsJson} from "../../src/cli/summaryOutput";
import {ROOT, cardAccuracy, fewestRight, writeWorkspace} from "../helpers/engineFixtures";

const cacheDir = mkdtempSync(path.join(os.tmpdir(), "dynsplit-clicache-"));

function cli(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, "bin/dynsplit.mjs"), ...args, ...(args.length > 1 ? ["--gpu-layers", "off"] : [])],
    {encoding: "utf8", env: {...process.env, DYNSPLIT_CACHE_DIR: cacheDir}, timeout: 120_000}
  );
  return {code: r.status, stdout: r.stdout, stderr: r.stderr};
}

test("dynsplit ask --json prints the documented fields (query-aware re-read)", {timeout: 120_000}, () => {
  const c = generateCase(9_500_001, {contextTokens: 1000});
  const dir = writeWorkspace(c.files);
  const r = cli(
    "ask",
    dir,
    c.question,
    "--answer-from",
    "reread",
    "--budget",
    "0.25",
    "--signal",
    "keyNorm",
    "--probe",
    "off",
    "--threads",
    "1",
    "--json"
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as AskJson;
  for (const key of [
    "answer",
    "method",
    "signal",
    "budgetTokens",
    "tokensRead",
    "tokensKept",
    "kvBytesAllocated",
    "kvBytesFullCache",
    "blocks",
    "timings",
  ])
    assert.ok(key in out, `${key} present`);
  assert.equal(out.method, "dynsplit");
  assert.match(out.signal, /^keyNorm/);
  assert.equal(out.ddSelect, "contrast-fallback", "DD-Select says which inputs it used");
  assert.deepEqual([out.backend, out.gpuLayers], ["cpu", 0], "--gpu-layers off: the CPU, nothing offloaded");
  assert.ok(out.tokensKept <= out.budgetTokens && out.tokensKept < out.tokensRead);
  assert.ok(
    out.blocks.length > 0 && out.blocks.every((b) => typeof b.file === "string" && typeof b.kept === "boolean" && b.startLine >= 0)
  );
  for (const t of ["prefillMs", "scoringMs", "evictMs", "decodeMs"] as const) assert.equal(typeof out.timings[t], "number");
});

test("a context longer than the bundled model handles is flagged; a compressed one is not", {timeout: 120_000}, () => {
  const card = JSON.parse(readFileSync(path.join(ROOT, "models/card.json"), "utf8")) as {contextTokens: number};
  const c = generateCase(9_500_003, {contextTokens: card.contextTokens * 1.3});
  const dir = writeWorkspace(c.files);
  const full = cli("ask", dir, c.question, "--method", "full", "--budget", "1", "--probe", "off", "--threads", "1", "--no-cache", "--json");
  assert.equal(full.code, 0, full.stderr);
  const out = JSON.parse(full.stdout);
  assert.ok(out.tokensKept > card.contextTokens, `kept ${out.tokensKept}`);
  assert.deepEqual(out.beyondModelContext, {tokensKept: out.tokensKept, modelContextTokens: card.contextTokens});
  const kept = cli(
    "ask",
    dir,
    c.question,
    "--answer-from",
    "reread",
    "--budget-tokens",
    String(Math.min(1024, card.contextTokens)),
    "--signal",
    "keyNorm",
    "--probe",
    "off",
    "--threads",
    "1",
    "--no-cache"
  );
  assert.equal(kept.code, 0, kept.stderr);
  assert.doesNotMatch(kept.stderr, /handles well/);
  const fullText = cli("ask", dir, c.question, "--method", "full", "--budget", "1", "--probe", "off", "--threads", "1", "--no-cache");
  assert.match(fullText.stderr, new RegExp(`more than the ${card.contextTokens} this model handles well`));
});

test("ingest prints the memory summary; eval prints accuracy per method", {timeout: 180_000}, () => {
  const c = generateCase(9_500_002, {contextTokens: 800});
  const dir = writeWorkspace(c.files);
  const ingest = cli(
    "ingest",
    dir,
    "--answer-from",
    "once",
    "--budget-tokens",
    "300",
    "--signal",
    "keyNorm",
    "--probe",
    "off",
    "--threads",
    "1"
  );
  assert.equal(ingest.code, 0, ingest.stderr);
  assert.match(ingest.stderr, /tokens read \d+ · kept 300/);
  assert.match(ingest.stderr, /KV allocated .* a full cache would need/);

  const casesFile = path.join(mkdtempSync(path.join(os.tmpdir(), "dynsplit-cases-")), "cases.jsonl");
  writeFileSync(
    casesFile,
    [1, 2, 3]
      .map((i) => {
        const k = generateCase(9_500_100 + i, {contextTokens: 600});
        return JSON.stringify({id: k.id, files: k.files, question: k.question, answer: k.answer});
      })
      .join("\n")
  );
  const ev = cli(
    "eval",
    casesFile,
    "--methods",
    "full,dynsplit,streaming",
    "--budgets",
    "0.3",
    "--answer-from",
    "reread",
    "--signal",
    "keyNorm",
    "--probe",
    "off",
    "--threads",
    "1",
    "--json"
  );
  assert.equal(ev.code, 0, ev.stderr);
  const out = JSON.parse(ev.stdout) as EvalJson;
  assert.equal(out.cases, 3);
  assert.deepEqual(
    out.cells.map((x) => [x.method, x.answerFrom, x.budget]),
    [
      ["full", "once", 1],
      ["dynsplit", "reread", 0.3],
      ["streaming", "reread", 0.3],
    ]
  );
  for (const cell of out.cells) assert.ok(cell.ci95[0] <= cell.accuracy && cell.accuracy <= cell.ci95[1]);
});

test("bad flags, missing folders and out-of-range budgets exit non-zero with a clear message", () => {
  const dir = writeWorkspace({"a.ts": "const a = 1;\n"});
  const cases: [string[], RegExp][] = [
    [["ask", dir], /ask needs a question/],
    [["ask", dir, "q", "--answer-from", "never"], /--answer-from must be one of memory, reread, once/],
    [["ask", dir, "q", "--placement", "teleport"], /--placement must be one of restore, prefill/],
    [["ask", dir, "--questions", "/no/such/questions.txt"], /cannot read the questions file/],
    [["ask", "/no/such/folder", "q"], /folder not found/],
    [["ask", dir, "q", "--budget", "1.5"], /--budget must be a fraction in \(0, 1\]/],
    [["ask", dir, "q", "--budget", "0"], /--budget must be a fraction/],
    [["ask", dir, "q", "--method", "magic"], /unknown --method "magic"/],
    [["ask", dir, "q", "--frobnicate"], /Unknown option '--frobnicate'/],
    [["ask", dir, "q", "--budget-tokens", "lots"], /--budget-tokens must be a positive integer/],
    [["nope"], /unknown command "nope"/],
  ];
  for (const [args, pattern] of cases) {
    const r = cli(...args);
    assert.equal(r.code, 2, `${args.join(" ")} → exit 2`);
    assert.match(r.stderr, pattern);
  }
  const help = cli("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /dynsplit ask <dir>/);
});

test("ask --questions answers every line after one ingest (memory), and reads nothing the second time", {timeout: 180_000}, () => {
  const c = generateCase(9_500_004, {contextTokens: 3000, distractors: 6});
  const dir = writeWorkspace(c.files);
  const qfile = path.join(mkdtempSync(path.join(os.tmpdir(), "dynsplit-q-")), "questions.txt");
  const facts = [{key: c.needle.key, value: c.needle.value}, ...c.distractors];
  writeFileSync(qfile, "# one question a line\n" + facts.map((f) => `Q: ${f.key} = `).join("\n") + "\n");
  const args = ["ask", dir, "--questions", qfile, "--budget-tokens", "512", "--probe", "off", "--threads", "1", "--json"];
  const first = cli(...args);
  assert.equal(first.code, 0, first.stderr);
  const out = JSON.parse(first.stdout) as AskQuestionsJson;
  for (const key of ["tokensRead", "files", "ingestMs", "storeBytes", "fromStore"]) assert.ok(key in out.ingest, `ingest.${key}`);
  assert.ok(out.ingest.tokensRead > 2000 && out.ingest.fromStore === false && out.ingest.storeBytes > 0);
  assert.equal(out.answers.length, facts.length);
  for (const a of out.answers)
    for (const key of ["question", "answer", "firstTokenMs", "totalMs", "tokensKept", "blocksSelected", "signal"])
      assert.ok(key in a, `answers[].${key}`);
  const right = out.answers.filter((a, i) => a.answer === facts[i].value).length;
  // Each answer comes from a 512-token context chosen from the store: the model at its measured accuracy there.
  assert.ok(right >= fewestRight(facts.length, cardAccuracy(512)), `${right}/${facts.length} right`);
  const second = JSON.parse(cli(...args).stdout) as AskQuestionsJson;
  assert.equal(second.ingest.tokensRead, 0, "the reopened folder reads nothing");
  assert.equal(second.ingest.fromStore, true);
  assert.deepEqual(
    second.answers.map((a) => a.answer),
    out.answers.map((a) => a.answer)
  );

  const casesFile = path.join(mkdtempSync(path.join(os.tmpdir(), "dynsplit-cases-")), "cases.jsonl");
  writeFileSync(
    casesFile,
    JSON.stringify({id: "multi", files: c.files, questions: facts.map((f) => ({question: `Q: ${f.key} = `, answer: f.value}))}) + "\n"
  );
  const ev = cli(
    "eval",
    casesFile,
    "--methods",
    "dynsplit",
    "--budgets",
    "512",
    "--answer-from",
    "memory,once",
    "--signal",
    "keyNorm",
    "--probe",
    "off",
    "--threads",
    "1",
    "--json"
  );
  assert.equal(ev.code, 0, ev.stderr);
  const cells = (JSON.parse(ev.stdout) as EvalJson).cells;
  assert.deepEqual(
    cells.map((x) => [x.answerFrom, x.budget, x.n]),
    [
      ["memory", 512, facts.length],
      ["once", 512, facts.length],
    ]
  );
  for (const cell of cells) assert.ok(cell.meanFirstTokenMs > 0);
});

test("a workspace of two small files at the default ratio budget is read whole in every mode", {timeout: 120_000}, () => {
  const dir = writeWorkspace({"a.py": "def add(a, b):\n    return a + b\n", "b.js": "const retry_limit = 41;\n"});
  for (const mode of ["memory", "once", "reread"]) {
    const r = cli("ask", dir, "Q: retry_limit = ", "--answer-from", mode, "--probe", "off", "--threads", "1", "--no-cache", "--json");
    assert.equal(r.code, 0, `${mode}: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as AskJson;
    assert.ok(
      out.budgetTokens >= out.tokensRead && out.tokensRead > 0,
      `${mode}: the budget (${out.budgetTokens}) holds the whole workspace (${out.tokensRead})`
    );
    assert.ok(out.tokensKept >= out.tokensRead, `${mode}: nothing was evicted (${out.tokensKept} of ${out.tokensRead} kept)`);
  }
});
