/**
 * Measure the bundled model with node-llama-cpp: retrieval accuracy with the full KV cache and with the needle's
 * tokens erased, per context length, question form (value, file), key shape and value kind, on synthetic code and
 * on the Python standard library (real code the training never saw: train.py reads node_modules only).
 *
 * Usage: node --import tsx scripts/model/evalModel.ts [--model models/dynsplit-tiny.gguf] [--n 100] [--file-n 50]
 *        [--lengths 1000,2000,4000,8000] [--suites synthetic,real-code] [--threads 1] [--out models/work/eval.json]
 *        [--needle-depth D] [--distractors K]   (a fixed depth 0..1 and distractor count instead of a spread depth and 4:
 *        how far the fact is from the question, and what it competes with, apart)
 */
import {writeFileSync} from "node:fs";
import {KEY_SHAPES, VALUE_KINDS, generateCase, splitKey, type NeedleCase} from "../../src/corpus";
import {realCodeFiles} from "../../src/corpus/realCode";
import {getCpuLlama} from "../../src/model/loadLlamaRuntime";
import {type CaseOutcome, type QuestionForm, runCasePair, score} from "../../src/model/retrievalEval";

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};

export interface EvalCell {
  suite: string;
  form: QuestionForm;
  targetTokens: number;
  full: ReturnType<typeof score>;
  needleErased: ReturnType<typeof score>;
  byShape: Record<string, {n: number; accuracy: number}>;
  byKind: Record<string, {n: number; accuracy: number}>;
  seconds: number;
  /** Why value answers failed: a hard distractor's value (by the key part that tells them apart), or anything else. */
  failureKinds?: Record<string, number>;
  failures: CaseOutcome[];
}

/** A failed value answer that is a distractor's value names the key part the model did not tell apart. */
function failureKind(c: NeedleCase, o: CaseOutcome): string {
  const hit = c.distractors.find((d) => d.value === o.got);
  if (!hit) return o.got.length && o.expected.startsWith(o.got.slice(0, 2)) ? "right start, wrong end" : "other";
  const mine = splitKey(c.needle.key, c.needle.shape);
  const theirs = splitKey(hit.key, c.needle.shape);
  const at = mine.findIndex((p, i) => p !== theirs[i]);
  return `distractor, part ${at === mine.length - 1 ? "last" : at === 0 ? "first" : "middle"} differs`;
}

const group = (outcomes: CaseOutcome[], label: (i: number) => string) => {
  const out: Record<string, {n: number; accuracy: number}> = {};
  outcomes.forEach((o, i) => {
    const g = (out[label(i)] ??= {n: 0, accuracy: 0});
    g.accuracy = (g.accuracy * g.n + (o.correct ? 1 : 0)) / (g.n + 1);
    g.n++;
  });
  return out;
};

async function main() {
  const modelPath = arg("model", "models/dynsplit-tiny.gguf");
  const n = Number(arg("n", "100"));
  const fileN = Number(arg("file-n", "50"));
  const lengths = arg("lengths", "1000,2000,4000,8000").split(",").map(Number);
  const suites = arg("suites", "synthetic,real-code").split(",");
  const threads = Number(arg("threads", "1"));
  const needleDepth = args.includes("--needle-depth") ? Number(arg("needle-depth", "")) : undefined;
  const distractors = Number(arg("distractors", "4"));
  const llama = await getCpuLlama();
  const model = await llama.loadModel({modelPath});
  const cells: EvalCell[] = [];

  // Characters per token of each haystack under this vocabulary, so a case lands near its token target.
  const cpt = (text: string) => text.length / model.tokenize(text, true).length;
  const realSample = Object.values(realCodeFiles({chars: 200_000, seed: "cpt"})).join("\n");
  const synthSample = generateCase("cpt", {contextChars: 200_000}).context;
  const charsPerToken: Record<string, number> = {synthetic: cpt(synthSample), "real-code": cpt(realSample)};
  console.log(`chars per token: synthetic ${charsPerToken.synthetic.toFixed(2)}, real code ${charsPerToken["real-code"].toFixed(2)}`);

  for (const suite of suites)
    for (const tokens of lengths) {
      // Shapes and kinds in turn, so every cell holds each about equally.
      const cases: NeedleCase[] = Array.from({length: Math.max(n, fileN)}, (_, i) => {
        const seed = `${suite}-${tokens}-${i}`;
        const make = (contextChars: number) =>
          generateCase(`eval-${seed}`, {
            contextChars,
            needleDepth,
            distractors,
            keyShape: KEY_SHAPES[i % KEY_SHAPES.length],
            valueKind: VALUE_KINDS[Math.floor(i / KEY_SHAPES.length) % VALUE_KINDS.length],
            haystack: suite === "real-code" ? realCodeFiles({chars: contextChars * 1.5 + 4000, seed}) : undefined,
          });
        // One correction step: the files a case draws differ in characters per token from the sample.
        const first = make(Math.round(tokens * charsPerToken[suite]));
        const got = model.tokenize(first.context, true).length + 1;
        return make(Math.round(first.context.length * ((tokens - 24) / got)));
      });
      const context = await model.createContext({contextSize: Math.ceil((tokens * 1.1 + 128) / 256) * 256, threads});
      const sequence = context.getSequence();
      for (const [form, count] of [
        ["value", n],
        ["file", fileN],
      ] as const) {
        if (count === 0) continue;
        const t0 = Date.now();
        const full: CaseOutcome[] = [];
        const erased: CaseOutcome[] = [];
        for (const c of cases.slice(0, count)) {
          const pair = await runCasePair(model, sequence, c, form);
          full.push(pair.full);
          erased.push(pair.erased);
        }
        const cell: EvalCell = {
          suite,
          form,
          targetTokens: tokens,
          full: score(full),
          needleErased: score(erased),
          byShape: group(full, (i) => cases[i].needle.shape),
          byKind: group(full, (i) => cases[i].needle.kind),
          seconds: (Date.now() - t0) / 1000,
          failures: full.filter((o) => !o.correct).slice(0, 6),
        };
        if (form === "value") {
          cell.failureKinds = {};
          full.forEach((o, i) => {
            const kind = o.correct ? undefined : failureKind(cases[i], o);
            if (kind) cell.failureKinds![kind] = (cell.failureKinds![kind] ?? 0) + 1;
          });
        }
        cells.push(cell);
        const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
        console.log(
          `${suite.padEnd(9)} ${form.padEnd(5)} ${String(tokens).padStart(5)} tok (mean ${cell.full.meanContextTokens.toFixed(0)}): ` +
            `full ${pct(cell.full.accuracy)} (${cell.full.correct}/${cell.full.n}), erased ${pct(cell.needleErased.accuracy)} ` +
            `| ${Object.entries(cell.byShape)
              .map(([k, v]) => `${k} ${pct(v.accuracy)}`)
              .join(" ")} | ${Object.entries(cell.byKind)
              .map(([k, v]) => `${k} ${pct(v.accuracy)}`)
              .join(" ")} [${cell.seconds.toFixed(0)} s]`
        );
        if (cell.failureKinds) console.log(`    failures: ${JSON.stringify(cell.failureKinds)}`);
        for (const f of cell.failures.slice(0, 2))
          console.log(`    e.g. expected ${JSON.stringify(f.expected)}, got ${JSON.stringify(f.got)}`);
      }
      await context.dispose();
    }
  const out = arg("out", "models/work/eval.json");
  writeFileSync(out, JSON.stringify({model: modelPath, date: new Date().toISOString(), charsPerToken, cells}, null, 2));
  console.log(`wrote ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
