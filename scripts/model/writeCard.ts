/**
 * Write models/card.json from the evaluation results: templates, patterns and the longest
 * context at which full-cache retrieval stays >= 95%.
 * Usage: node --import tsx scripts/model/writeCard.ts models/work/eval.json models/work/run/export/manifest.json
 */
import {readFileSync, statSync, writeFileSync} from "node:fs";
import {DEFAULT_CHARS_PER_TOKEN, FACT_TEMPLATE, KEY_PATTERN, QUESTION_TEMPLATE, VALUE_PATTERN} from "../../src/corpus";

interface EvalRow {
  suite: string;
  targetTokens: number;
  full: {accuracy: number; n: number; meanContextTokens: number};
  needleErased: {accuracy: number; n: number};
}

const [evalPath = "models/work/eval.json", manifestPath = "models/work/run/export/manifest.json"] = process.argv.slice(2);
const evaluation = JSON.parse(readFileSync(evalPath, "utf8")) as {results: EvalRow[]};
const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
  hparams: Record<string, number>;
  tag: string;
  training?: {steps: number; seconds: number; final?: Record<string, number>};
};
const synthetic = evaluation.results.filter((r) => r.suite === "synthetic").sort((a, b) => a.targetTokens - b.targetTokens);
let contextTokens = 0;
for (const r of synthetic) if (r.full.accuracy >= 0.95) contextTokens = r.targetTokens;
const model = "dynsplit-tiny.gguf";
const card = {
  model,
  sizeBytes: statSync(`models/${model}`).size,
  fact: FACT_TEMPLATE,
  question: QUESTION_TEMPLATE,
  answer: "{value}",
  // The value is one token; the model does not reliably write "\n" after it, so the engine stops after one.
  answerTokens: 1,
  key: KEY_PATTERN,
  value: VALUE_PATTERN,
  contextTokens,
  bos: true,
  charsPerToken: DEFAULT_CHARS_PER_TOKEN,
  training: manifest.training && {
    how: "trained from random weights by scripts/model/train.py (npm run model:train); see models/README.md",
    steps: manifest.training.steps,
    seconds: manifest.training.seconds,
    final: manifest.training.final,
  },
  notes:
    "Prompt = BOS + context + question (which ends with a space); `{key} = ` is one token, so the value follows it directly in a fact. The answer is the next single token (answerTokens 1): the model may repeat the value instead of ending the line, so read one token. Put the fact on its own line. Keys are two words from src/corpus/words.ts KEY_PREFIXES/KEY_SUFFIXES joined by '_' (the key pattern lists them: 900 keys, each one token); any other identifier is outside what the model knows.",
  hparams: manifest.hparams,
  checkpoint: manifest.tag,
  accuracy: evaluation.results.map((r) => ({
    suite: r.suite,
    targetTokens: r.targetTokens,
    meanContextTokens: Math.round(r.full.meanContextTokens),
    n: r.full.n,
    full: r.full.accuracy,
    needleErased: r.needleErased.accuracy,
  })),
};
writeFileSync("models/card.json", JSON.stringify(card, null, 2) + "\n");
console.log(`wrote models/card.json (contextTokens ${contextTokens})`);
