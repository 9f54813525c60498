/**
 * Write models/card.json from the evaluation (scripts/model/evalModel.ts): templates, the exact patterns of what was
 * trained and measured, and the measured accuracy per question form, key shape, value kind and context length.
 * Usage: node --import tsx scripts/model/writeCard.ts models/work/eval.json models/work/run/export/manifest.json
 */
import {readFileSync, statSync, writeFileSync} from "node:fs";
import {
  FACT_TEMPLATE,
  FILE_QUESTION_TEMPLATE,
  KEY_PATTERN,
  KEY_SHAPE_PATTERNS,
  PATH_PATTERN,
  QUESTION_TEMPLATE,
  VALUE_KIND_PATTERNS,
  VALUE_PATTERN,
} from "../../src/corpus";
import {MAX_ANSWER_TOKENS} from "../../src/model/retrievalEval";
import {TRAINED_VOCAB} from "../../src/model/trainedVocab";
import type {EvalCell} from "./evalModel";

const [evalPath = "models/work/eval.json", manifestPath = "models/work/run/export/manifest.json"] = process.argv.slice(2);
const evaluation = JSON.parse(readFileSync(evalPath, "utf8")) as {cells: EvalCell[]; charsPerToken: Record<string, number>};
const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
  hparams: Record<string, number>;
  tag: string;
  training?: {steps: number; seconds: number; initStep?: number; final?: Record<string, number>};
};
// The longest length at which value questions (full cache, synthetic AND real code) stay within 90 % of the model's
// best length, and at least 90 % absolute where it reaches that; never below the shortest length measured.
const lengths = [...new Set(evaluation.cells.map((c) => c.targetTokens))].sort((a, b) => a - b);
const worst = (t: number) =>
  Math.min(...evaluation.cells.filter((c) => c.form === "value" && c.targetTokens === t).map((c) => c.full.accuracy));
const bar = Math.min(0.9, 0.9 * Math.max(...lengths.map(worst)));
let contextTokens = lengths[0];
for (const t of lengths) {
  if (worst(t) >= bar) contextTokens = t;
  else break;
}
const model = "dynsplit-tiny.gguf";
const round = (x: number) => Math.round(x * 1000) / 1000;
const card = {
  model,
  sizeBytes: statSync(`models/${model}`).size,
  vocabulary: `${TRAINED_VOCAB} (llama.cpp models/ggml-vocab-${TRAINED_VOCAB}.gguf: SentencePiece, 32,064 pieces, byte fallback)`,
  fact: FACT_TEMPLATE,
  question: QUESTION_TEMPLATE,
  answer: " {value}",
  fileQuestion: FILE_QUESTION_TEMPLATE,
  fileAnswer: " {path}",
  fileHeader: "// file: {path}\n",
  answerTokens: MAX_ANSWER_TOKENS,
  answerEnds: "a value ends at the `;` of its fact; a path at the end of the line",
  key: KEY_PATTERN,
  keyShapes: KEY_SHAPE_PATTERNS,
  value: VALUE_PATTERN,
  valueKinds: VALUE_KIND_PATTERNS,
  path: PATH_PATTERN,
  contextTokens,
  bos: true,
  // Of generateCase's synthetic code (what contextTokens in CaseOptions converts by), and of the Python stdlib.
  charsPerToken: round(evaluation.charsPerToken.synthetic),
  charsPerTokenRealCode: round(evaluation.charsPerToken["real-code"]),
  training: manifest.training && {
    how: "trained from random weights by scripts/model/train.py (npm run model:train); see models/README.md",
    steps: manifest.training.steps,
    // This leg's wall time; a leg that started from an exported checkpoint counts its steps on from initStep.
    seconds: manifest.training.seconds,
    ...(manifest.training.initStep !== undefined && {initStep: manifest.training.initStep}),
    final: manifest.training.final,
  },
  notes:
    "Prompt = BOS + files, each after its header line, + the question; the context ends with a newline. Ask `Q: {key} =` for a value (the answer is ` {value}` and ends at `;`) or `Q: file of {key} is` for the file (the answer is ` {path}` and ends at the line's end). Keys: identifiers of the three shapes in keyShapes (2-3 parts, code words or random letters, digits allowed), split by the vocabulary into several tokens; values: the four kinds in valueKinds. contextTokens is the longest length measured at which value accuracy (full cache, synthetic and real code) stays >= 90 %, or within 90 % of the model's best length where it does not reach 90 %. Accuracy below: synthetic = the project's generated code; real-code = the Python standard library, never seen in training.",
  hparams: manifest.hparams,
  checkpoint: manifest.tag,
  accuracy: evaluation.cells.map((c) => ({
    suite: c.suite,
    form: c.form,
    targetTokens: c.targetTokens,
    meanContextTokens: Math.round(c.full.meanContextTokens),
    n: c.full.n,
    full: round(c.full.accuracy),
    needleErased: round(c.needleErased.accuracy),
    byShape: Object.fromEntries(Object.entries(c.byShape).map(([k, v]) => [k, round(v.accuracy)])),
    byKind: Object.fromEntries(Object.entries(c.byKind).map(([k, v]) => [k, round(v.accuracy)])),
    ...(c.failureKinds && {failureKinds: c.failureKinds}),
  })),
};
writeFileSync("models/card.json", JSON.stringify(card, null, 2) + "\n");
console.log(`wrote models/card.json (contextTokens ${contextTokens})`);
