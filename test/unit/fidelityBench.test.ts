import assert from "node:assert/strict";
import {mkdtempSync, readdirSync, readFileSync, rmSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {test} from "node:test";
import {KEY_SHAPES, VALUE_KINDS, formatFileQuestion, formatQuestion, generateRepository, keyShapeOf, valueKindOf} from "../../src/corpus";
import {codeExcerpts} from "../../src/corpus/codeExcerpts";
import {wilson} from "../../src/cli/answerMatch";
import type {FidelityResult, FidelityRow} from "../../src/cli/bench/fidelity";
import {factLine, factWorkspaces, needleCases} from "../../src/cli/bench/fidelityCases";
import {ABLATIONS, BASELINES, strongestBaseline} from "../../src/cli/bench/fidelityMethods";
import {fidelityPlan, plannedWork, suiteCells} from "../../src/cli/bench/fidelityPlan";
import {renderFidelityReport, withInterval, writeFidelityPlots} from "../../src/cli/bench/fidelityReport";
import {heatMap} from "../../src/cli/bench/svgPlot";
import {Tally, depthBucketOf} from "../../src/cli/bench/tally";
import {WorkMeter} from "../../src/cli/bench/workMeter";

// A stand-in for the real-code pool: many files of generated code.
const POOL = generateRepository("fidelity-pool", {totalChars: 240_000, fileCount: 120}).files;
const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

test("code excerpts: whole lines of distinct files, sizes as asked, reproducible per seed", () => {
  const a = codeExcerpts(POOL, {seed: 1, chars: 12_000, minChars: 400, maxChars: 900});
  assert.deepEqual(a, codeExcerpts(POOL, {seed: 1, chars: 12_000, minChars: 400, maxChars: 900}));
  assert.notDeepEqual(Object.keys(a), Object.keys(codeExcerpts(POOL, {seed: 2, chars: 12_000})));
  const total = Object.values(a).reduce((n, t) => n + t.length, 0);
  assert.ok(total >= 12_000 && total < 12_000 + 1000, `total ${total}`);
  for (const [p, text] of Object.entries(a)) {
    const source = POOL[p];
    assert.ok(source.startsWith(text) || source.includes("\n" + text), `${p}: an excerpt starts at a line of its file`);
    assert.ok(text.endsWith("\n"));
    assert.ok(text.length <= 900 + 200, `${p}: ${text.length} characters`); // at most the maximum plus one line
  }
});

test("needle cases: one fact in one of several files, value kinds and key shapes in turn, depths spread evenly", () => {
  const cases = needleCases(POOL, {count: 24, contextTokens: 2048, charsPerToken: 3, seed: "t"});
  assert.equal(cases.length, 24);
  assert.deepEqual(cases, needleCases(POOL, {count: 24, contextTokens: 2048, charsPerToken: 3, seed: "t"}), "reproducible");
  for (const [i, c] of cases.entries()) {
    const [f] = c.facts;
    assert.equal(c.facts.length, 1);
    assert.ok(c.documents.length >= 3, `${c.id}: ${c.documents.length} files`);
    const chars = c.documents.reduce((n, d) => n + d.content.length + d.path.length + 10, 0);
    assert.ok(Math.abs(chars - 2048 * 3) < 400, `${c.id}: ${chars} characters for 6144`);
    const holder = c.documents.filter((d) => d.content.includes(factLine(f)));
    assert.deepEqual(
      holder.map((d) => d.path),
      [f.path],
      "the fact is in exactly the file the file question expects"
    );
    assert.equal(count(holder[0].content, factLine(f)), 1);
    assert.equal(f.valueKind, VALUE_KINDS[i % 4]);
    assert.equal(valueKindOf(f.value), f.valueKind);
    assert.equal(f.shape, KEY_SHAPES[Math.floor(i / 4) % 3]);
    assert.equal(keyShapeOf(f.key), f.shape);
    assert.equal(f.valueQuestion, formatQuestion(f.key));
    assert.equal(f.fileQuestion, formatFileQuestion(f.key));
    assert.ok(Math.abs(f.depth - (i + 0.5) / 24) < 1e-9);
  }
  const bucket = needleCases(POOL, {count: 5, contextTokens: 1024, charsPerToken: 3, seed: "b", depthFrom: 0.4, depthTo: 0.6});
  for (const c of bucket) assert.ok(c.facts[0].depth >= 0.4 && c.facts[0].depth < 0.6);
});

test("fact workspaces: ten facts each, distinct keys, each fact once in the file it names", () => {
  const ws = factWorkspaces(POOL, {count: 3, facts: 10, contextTokens: 4096, charsPerToken: 3, seed: "w"});
  assert.equal(ws.length, 3);
  for (const w of ws) {
    assert.equal(w.facts.length, 10);
    assert.equal(new Set(w.facts.map((f) => f.key)).size, 10);
    assert.ok(w.documents.length >= 5, `${w.documents.length} files`);
    const chars = w.documents.reduce((n, d) => n + d.content.length, 0);
    assert.ok(chars > 0.75 * 4096 * 3 && chars < 1.1 * 4096 * 3, `${chars} characters`);
    for (const f of w.facts) {
      const all = w.documents.map((d) => d.content).join("");
      assert.equal(count(all, factLine(f)), 1);
      assert.ok(w.documents.find((d) => d.path === f.path)!.content.includes(factLine(f)));
      assert.ok(f.depth >= 0 && f.depth <= 1);
      assert.equal(valueKindOf(f.value), f.valueKind);
    }
  }
});

test("with a token counter every input is refitted to within 2 % of its target length", () => {
  // A tokenizer that makes more tokens of some code than of other code: one per 2 characters in files whose path
  // sorts early, one per 4 in the rest, so the first guess of 3 characters a token is off either way.
  const tokensOf = (docs: {path: string; content: string}[]) =>
    docs.reduce((n, d) => n + 4 + Math.ceil(d.content.length / (d.path < "m" ? 2 : 4)), 0);
  const cases = needleCases(POOL, {count: 8, contextTokens: 2048, charsPerToken: 3, seed: "fit", tokensOf});
  const spaces = factWorkspaces(POOL, {count: 3, facts: 10, contextTokens: 4096, charsPerToken: 3, seed: "fit", tokensOf});
  for (const [input, target] of [...cases.map((c) => [c, 2048] as const), ...spaces.map((w) => [w, 4096] as const)]) {
    const t = tokensOf(input.documents);
    assert.ok(Math.abs(t - target) <= 0.02 * target, `${input.id}: ${t} tokens for ${target}`);
  }
});

test("the full plan: n ≥ 100 per cell in every suite, every baseline and ablation, budgets 10-30 %", () => {
  const plan = fidelityPlan({full: true});
  assert.ok(plan.queryAware!.cases >= 100);
  assert.ok(plan.agnostic!.workspaces * plan.agnostic!.facts >= 100);
  assert.ok(plan.agnostic!.facts >= 10);
  assert.ok(plan.heatmap!.perCell * plan.heatmap!.depthBuckets >= 100, "a heat-map row has 100 answers");
  assert.deepEqual(plan.queryAware!.budgets, [0.1, 0.2, 0.3]);
  assert.ok(Math.max(...plan.heatmap!.contexts) >= 8192);
  const labels = plan.queryAware!.methods.map((m) => m.label);
  for (const b of BASELINES) assert.ok(labels.includes(b.label), b.label);
  assert.ok(labels.includes("full cache") && labels.includes("dynsplit"));
  assert.deepEqual(
    BASELINES.filter((b) => b.method === "chunkkv").map((b) => b.options?.chunkSize),
    [10, 20],
    "ChunkKV's paper"
  );
  const snap = BASELINES.find((b) => b.method === "snapkv")!;
  assert.deepEqual([snap.options?.kernelSize, snap.observationWindow], [5, 64], "kvpress's SnapKV");
  assert.ok(ABLATIONS.some((a) => a.options?.uniformMapping === false));
  assert.ok(plan.agnostic!.methods.some((m) => m.role === "memory"));
  const cells = suiteCells(plan.queryAware!);
  assert.equal(cells.filter((c) => c.cell.role === "reference").length, 1, "the full cache runs once");
  assert.equal(cells.length, 1 + 7 * 3 + ABLATIONS.length);
});

test("the quick plan is small and --cases / --contexts / --only scale it", () => {
  const quick = plannedWork(fidelityPlan({full: false}));
  const full = plannedWork(fidelityPlan({full: true}));
  assert.ok(quick.tokens < full.tokens / 20, `quick ${quick.tokens} tokens, full ${full.tokens}`);
  const small = fidelityPlan({full: true, cases: 20, contexts: [2048], only: ["agnostic", "heatmap"]});
  assert.equal(small.queryAware, undefined);
  assert.equal(small.agnostic!.workspaces, 2);
  assert.deepEqual(small.heatmap!.contexts, [2048]);
  assert.equal(small.heatmap!.perCell, 4);
  const w = plannedWork(small);
  assert.equal(w.reads, suiteCells(small.agnostic!).length * 2 + 3 * 4 * 5);
  assert.equal(small.heatmap!.baseline, undefined, "by default the run's most accurate query-aware baseline");
  assert.equal(fidelityPlan({full: true, only: ["heatmap"], heatmapBaseline: "delimiter"}).heatmap!.baseline, "delimiter");
});

test("a tally counts answers overall, per kind and per depth fifth, with Wilson intervals", () => {
  const t = new Tally();
  const answers: [boolean, string, number][] = [
    [true, "int", 0],
    [false, "int", 0.19],
    [true, "hex", 0.2],
    [true, "hex", 1],
    [false, "string", 0.99],
  ];
  for (const [right, kind, depth] of answers) t.add(right, {kind, depth});
  const s = t.stats();
  assert.deepEqual([s.n, s.correct, s.accuracy], [5, 3, 0.6]);
  assert.deepEqual(s.ci95, wilson(3, 5));
  assert.deepEqual(
    s.byKind.map((k) => [k.kind, k.n, k.correct]),
    [
      ["int", 2, 1],
      ["hex", 2, 2],
      ["string", 1, 0],
    ]
  );
  assert.deepEqual(
    s.byDepth.map((d) => d.n),
    [2, 1, 0, 0, 2]
  );
  assert.ok(Number.isNaN(s.byDepth[2].accuracy), "an empty bucket has no accuracy");
  assert.equal(s.byDepth[0].bucket, "0–20%");
  assert.equal(depthBucketOf(1), 4);
  assert.equal(withInterval(s), "60% [23–88]");
});

test("the strongest baseline: best at the budget, then over all budgets, then the first listed", () => {
  const rows = [
    {label: "chunkkv (10)", budget: 0.1, accuracy: 0.5},
    {label: "snapkv", budget: 0.1, accuracy: 0.7},
    {label: "snapkv", budget: 0.3, accuracy: 0.7},
    {label: "delimiter", budget: 0.1, accuracy: 0.7},
    {label: "delimiter", budget: 0.3, accuracy: 0.9},
  ];
  assert.equal(strongestBaseline(rows, 0.1), "delimiter");
  assert.equal(strongestBaseline(rows, 0.3), "delimiter");
  assert.equal(strongestBaseline([], 0.1), BASELINES[0].label, "no figures yet: the first baseline");
  assert.equal(strongestBaseline(rows, 0.1, ["chunkkv (10)", "snapkv"]), "snapkv");
});

test("the work meter extrapolates the time left from the throughput so far", () => {
  let now = 1000;
  const m = new WorkMeter(100, () => now);
  assert.equal(m.etaMs, undefined);
  now += 2000;
  m.add(25);
  assert.equal(m.fraction, 0.25);
  assert.equal(m.etaMs, 6000);
  m.add(100);
  assert.equal(m.fraction, 1);
  assert.equal(m.etaMs, 0);
});

test("heat map: one cell per value, percent labels, grey where a value is missing, labels escaped", () => {
  const svg = heatMap({
    title: "a <b> & c",
    rows: ["1024 tokens", "2048 tokens"],
    cols: ["0–20%", "20–40%", "40–60%"],
    values: [
      [1, 0.5, NaN],
      [0, 0.255, null as unknown as number], // null: a NaN after a JSON round trip
    ],
    xLabel: "needle depth",
    yLabel: "context length",
  });
  assert.equal(count(svg, "<rect "), 1 + 6, "background and six cells");
  assert.equal(count(svg, 'fill="#eee"'), 2, "two missing cells");
  for (const label of [">100<", ">50<", ">0<", ">26<"]) assert.ok(svg.includes(label), label);
  assert.ok(svg.includes("a &lt;b&gt; &amp; c"));
  assert.ok(svg.includes(">context length<") && svg.includes(">needle depth<") && svg.includes(">2048 tokens<"));
});

function fakeRow(
  o: Partial<FidelityRow> & Pick<FidelityRow, "suite" | "question" | "label" | "role" | "budget">,
  correct: number
): FidelityRow {
  const n = 100;
  return {
    method: o.label.split(" ")[0],
    answerFrom: o.role === "memory" ? "memory" : "once",
    contextTokens: 2048,
    signal: o.role === "reference" ? "none" : "attention+query",
    n,
    correct,
    accuracy: correct / n,
    ci95: wilson(correct, n),
    byKind: VALUE_KINDS.map((kind) => ({
      kind,
      n: 25,
      correct: Math.round(correct / 4),
      accuracy: correct / 100,
      ci95: wilson(correct / 4, 25),
    })),
    byDepth: [],
    reads: o.suite === "agnostic" ? 10 : 100,
    failedReads: 0,
    meanTokensRead: 1900,
    meanTokensKept: 190,
    meanScoringMs: 10,
    meanCompressMs: 3,
    meanFirstTokenMs: 20,
    beyondModelContext: 0,
    ...o,
  };
}

test("the report: every suite with intervals, the full cache in every budget column, plots written", () => {
  const rows: FidelityRow[] = [];
  for (const suite of ["query-aware", "agnostic"] as const)
    for (const question of ["value", "file"] as const) {
      rows.push(fakeRow({suite, question, label: "full cache", role: "reference", budget: 1}, 97));
      for (const budget of [0.1, 0.2, 0.3]) {
        rows.push(fakeRow({suite, question, label: "dynsplit", role: "dynsplit", budget}, Math.round(60 + 100 * budget)));
        rows.push(fakeRow({suite, question, label: "chunkkv (10)", role: "baseline", budget}, Math.round(40 + 100 * budget)));
      }
      rows.push(fakeRow({suite, question, label: "dynsplit α=0", role: "ablation", budget: 0.1}, 55));
      if (suite === "agnostic") rows.push(fakeRow({suite, question, label: "memory: dynsplit blocks", role: "memory", budget: 0.1}, 90));
    }
  const cells = [1024, 2048].flatMap((contextTokens) =>
    ["0–20%", "20–40%"].flatMap((bucket) =>
      ["dynsplit", "chunkkv (10)", "full cache"].map((label) => ({
        label,
        method: label.split(" ")[0],
        contextTokens,
        meanTokensRead: contextTokens - 50,
        bucket,
        n: 20,
        correct: 15,
        accuracy: 0.75,
        ci95: wilson(15, 20),
      }))
    )
  );
  const result: FidelityResult = {
    plan: fidelityPlan({full: true}),
    charsPerToken: 3.1,
    rows,
    heatmap: {budget: 0.1, baseline: "chunkkv (10)", cells},
    seconds: 1800,
  };
  rows[1].failedReads = 2;
  const md = renderFidelityReport(result, "/usr/lib/python3.11").join("\n");
  assert.ok(md.includes("- query-aware dynsplit at 10 %: 2 of 100 reads refused"), "refused reads are said");
  for (const heading of [
    "### Multi-token values, query-aware",
    "### File questions, query-aware",
    "### Many questions after one compression",
    "### Needle depth × context length",
  ])
    assert.ok(md.includes(heading), heading);
  assert.match(md, /\| full cache \| 97% \[92–99\] \| 97% \[92–99\] \| 97% \[92–99\] \|/);
  assert.match(md, /\| dynsplit \| 70% \[60–78\] \| 80% \[71–87\] \| 90% \[83–94\] \|/);
  assert.match(md, /\| dynsplit α=0 \| 55% \[45–64\] \| – \| – \|/, "an ablation at one budget");
  assert.match(md, /\| memory: dynsplit blocks \|/);
  assert.match(md, /Per value kind at 10 %/);
  assert.match(md, /\| 1024 \(974\) \| 75% \[53–89\] \| 75% \[53–89\] \|/);
  assert.match(md, /30\.0 min in all/);
  const dir = mkdtempSync(path.join(os.tmpdir(), "fidelity-plots-"));
  try {
    const files = writeFidelityPlots(dir, result);
    assert.deepEqual(readdirSync(dir).sort(), [...files].sort());
    assert.deepEqual(files.filter((f) => f.startsWith("accuracy-vs-budget-")).sort(), [
      "accuracy-vs-budget-files-agnostic.svg",
      "accuracy-vs-budget-files-aware.svg",
      "accuracy-vs-budget-values-agnostic.svg",
      "accuracy-vs-budget-values-aware.svg",
    ]);
    assert.ok(files.includes("needle-depth-context-dynsplit.svg") && files.includes("needle-depth-context-chunkkv-10.svg"));
    for (const f of files) assert.match(md, new RegExp(`\\]\\(${f.replace(/[.()-]/g, "\\$&")}\\)`), `the report shows ${f}`);
    assert.ok(readFileSync(path.join(dir, "accuracy-vs-budget-values-agnostic.svg"), "utf8").includes("memory: dynsplit blocks"));
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});
