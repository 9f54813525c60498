/**
 * Build the training corpus: generate code documents (src/corpus), tokenize them with node-llama-cpp
 * itself (so training and inference tokenize identically) and write fixed-length rows. train.py cuts
 * its filler lines from them (scripts/model/lookup_rows.py).
 *
 * Output in models/work/data/: {name}.tokens (uint16 [rows, T], padded with EOS),
 * {name}.mask (uint8 [rows, T], 1 where the token is an answer value), meta.json.
 *
 * Usage: node --import tsx scripts/model/buildDataset.ts [--rows512 N]
 */
import {mkdirSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {getCpuLlama} from "../../src/model/loadLlamaRuntime";
import type {LlamaModel} from "node-llama-cpp";
import {generateTrainingDocument} from "../../src/corpus";
import {EOS_ID, buildCodeVocabulary} from "../../src/model/codeVocab";
import {randomLlamaWeights, writeLlamaGguf} from "../../src/model/llamaGguf";
import {collectRealCode} from "./realCode";

const CHARS_PER_TOKEN = 2.4;
const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};

/** A throwaway random-weight model carrying the real vocabulary, for tokenizing only. */
export async function writeVocabModel(path: string): Promise<void> {
  const vocab = buildCodeVocabulary();
  const h = {nLayer: 1, nEmbd: 8, nHead: 1, nHeadKv: 1, nFf: 8, contextLength: 4096, rmsEps: 1e-5, ropeFreqBase: 1e4};
  await writeLlamaGguf(path, {name: "vocab", hparams: h, vocab, weights: randomLlamaWeights(h, vocab.tokens.length)});
}

function buildRows(
  model: LlamaModel,
  name: string,
  seedBase: string,
  rows: number,
  T: number,
  realCode: string[],
  outDir: string,
  fillerShare?: number
) {
  const tokens = new Uint16Array(rows * T).fill(EOS_ID);
  const mask = new Uint8Array(rows * T);
  let answers = 0;
  let filled = 0;
  for (let r = 0; r < rows; r++) {
    const doc = generateTrainingDocument(`${seedBase}:${r}`, {chars: Math.round(T * CHARS_PER_TOKEN), realCode, fillerShare});
    let pos = 0;
    let cursor = 0;
    const put = (text: string, isAnswer: boolean) => {
      for (const t of model.tokenize(text, true)) {
        if (pos >= T) return;
        tokens[r * T + pos] = t as number;
        if (isAnswer) {
          mask[r * T + pos] = 1;
          answers++;
        }
        pos++;
      }
    };
    tokens[r * T] = 1; // BOS
    pos = 1;
    for (const a of doc.answers) {
      put(doc.text.slice(cursor, a.start), false);
      put(doc.text.slice(a.start, a.end), true);
      cursor = a.end;
    }
    put(doc.text.slice(cursor), false);
    filled += pos;
  }
  writeFileSync(join(outDir, `${name}.tokens`), tokens);
  writeFileSync(join(outDir, `${name}.mask`), mask);
  console.log(
    `${name}: ${rows} rows x ${T}, fill ${((filled / (rows * T)) * 100).toFixed(1)}%, ${(answers / rows).toFixed(1)} answers/row`
  );
  return {name, rows, T};
}

async function main() {
  const outDir = "models/work/data";
  mkdirSync(outDir, {recursive: true});
  const vocabModelPath = join(outDir, "vocab.gguf");
  await writeVocabModel(vocabModelPath);
  const llama = await getCpuLlama();
  const model = await llama.loadModel({modelPath: vocabModelPath, vocabOnly: true});
  const t0 = Date.now();
  const {train} = collectRealCode("node_modules");
  console.log(`real code: ${train.length} training files (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  // train.py builds its lookup rows on the fly and takes filler lines (code without facts or
  // questions) from these tokenized documents.
  const sets = [buildRows(model, "train512", "t512", arg("rows512", 24000), 512, train, outDir)];
  const vocab = buildCodeVocabulary();
  writeFileSync(join(outDir, "meta.json"), JSON.stringify({vocabSize: vocab.tokens.length, bos: 1, eos: 2, sets}, null, 2));
  console.log(`dataset done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1]?.endsWith("buildDataset.ts"))
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
