/** Write the model vocabulary as JSON for the training scripts (train.py, lookup_rows.py). Usage: ... writeVocabJson.ts OUT.json */
import {writeFileSync} from "node:fs";
import {buildCodeVocabulary} from "../../src/model/codeVocab";

const out = process.argv[2] ?? "models/work/vocab.json";
writeFileSync(out, JSON.stringify({tokens: buildCodeVocabulary().tokens}));
console.log(`wrote ${out}`);
