import assert from "node:assert/strict";
import {test} from "node:test";
import {pickReferences} from "../../src/engine/engine";
import {BlockMapRecorder, type BlockRecord} from "../../src/engine/session/blockMapRecorder";
import type {LlamaModel} from "node-llama-cpp";
import {cardFormat, plainFormat} from "../../src/engine/session/promptFormat";
import {FACT_TEMPLATE, FILE_QUESTION_TEMPLATE, KEY_PATTERN, QUESTION_TEMPLATE, VALUE_PATTERN} from "../../src/corpus";
import {queryOverlapBoost} from "../../src/engine/session/queryOverlap";
import {TokenLedger} from "../../src/engine/session/tokenLedger";

test("the token ledger erases ranges in lock-step and remaps file starts", () => {
  const l = new TokenLedger();
  l.append([1], ["<s>"], {file: -1, pinned: true});
  l.markFileStart(1);
  l.append([10, 11, 12, 13, 14], ["// a\n", "x", "=", "1", "\n"], {file: 0, lines: [0, 1, 1, 1, 1], scores: [0, 1, 2, 3, 4]});
  l.markFileStart(6);
  l.append([20, 21, 22], ["// b\n", "y", "\n"], {file: 1, lines: [0, 1, 1]});
  l.erase([{start: 2, end: 4}]);
  assert.deepEqual(l.ids, [1, 10, 13, 14, 20, 21, 22]);
  assert.deepEqual(l.prefillScores.slice(0, 4), [0, 0, 3, 4]);
  assert.deepEqual(l.fileStarts, [1, 4]);
  l.truncate(5);
  assert.equal(l.length, 5);
  const round = TokenLedger.fromJSON(JSON.parse(JSON.stringify(l.toJSON())));
  assert.deepEqual(round.ids, l.ids);
  assert.ok(Number.isNaN(round.localMass[0]), "NaN survives the JSON round trip");
});

test("the block map keeps evicted history and the final kept segmentation", () => {
  const rec = new BlockMapRecorder();
  const b = (file: string, start: number, tokens: number, kept: number): BlockRecord => ({
    file,
    startLine: start,
    endLine: start + 1,
    tokens,
    keptTokens: kept,
    score: kept,
    boundary: "\n",
    text: "x",
  });
  rec.recordEvicted([b("a", 1, 10, 0), b("a", 3, 10, 10), b("a", 5, 10, 4)]);
  rec.setFinal([b("a", 3, 10, 10), b("a", 5, 10, 4)]);
  const all = rec.all();
  assert.equal(all.filter((x) => x.keptTokens === 0).length, 2, "one whole and one partial eviction");
  assert.deepEqual(
    rec.kept().map((x) => [x.startLine, x.tokens]),
    [
      [3, 10],
      [5, 4],
    ]
  );
});

test("query overlap boosts rare tokens of the question, not spaces", () => {
  const ids = [1, 5, 7, 5, 9, 5, 7, 42, 5];
  const q = [5, 42];
  const s = queryOverlapBoost({kind: "keyNorm", tokenScores: new Float32Array(ids.length)}, ids, q);
  assert.equal(s.kind, "keyNorm+query");
  assert.ok(s.tokenScores[7] > s.tokenScores[1], "the rare question token outranks the frequent one");
  assert.ok(s.tokenScores[1] >= s.tokenScores[2]);
});

test("the card format asks in the trained template; a free-form question is reduced to its key and its form", () => {
  const f = cardFormat({
    model: "m.gguf",
    fact: FACT_TEMPLATE,
    question: QUESTION_TEMPLATE,
    fileQuestion: FILE_QUESTION_TEMPLATE,
    key: KEY_PATTERN,
    value: VALUE_PATTERN,
    contextTokens: 1024,
    answerTokens: 48,
  });
  assert.equal(f.question("Q: retry_limit = "), "Q: retry_limit =");
  assert.equal(f.question("what is retry_limit in the client?"), "Q: retry_limit =");
  assert.equal(f.question("what is maxRetryCount2?"), "Q: maxRetryCount2 =");
  assert.equal(f.question("value of MAX_POOL_SIZE"), "Q: MAX_POOL_SIZE =");
  assert.equal(f.question("which file defines pool_size?"), "Q: file of pool_size is");
  assert.equal(f.question("Q: file of userName is"), "Q: file of userName is");
  assert.equal(f.question("where is retry_limit"), "Q: file of retry_limit is");
  assert.equal(f.maxAnswerTokens, 48);
  assert.equal(f.observation("Q: retry_limit = \nQ: pool_size = "), "Q: retry_limit =\nQ: pool_size =");
  assert.equal(f.fileHeader("src/a.ts"), "// file: src/a.ts\n");
  const plain = (shouldPrependBosToken: boolean) => plainFormat({tokens: {shouldPrependBosToken}} as unknown as LlamaModel, 300);
  assert.match(plain(true).question("why?"), /Question: why\?\nAnswer:$/);
  assert.equal(plain(true).bos, true, "BOS where the model's add_bos asks for it");
  assert.equal(plain(false).bos, false, "and not otherwise");
  assert.equal(plain(true).maxAnswerTokens, 300);
});

test("references: blocks holding the answer or a question identifier, best first", () => {
  const blk = (file: string, text: string, score: number): BlockRecord => ({
    file,
    startLine: 1,
    endLine: 2,
    tokens: 5,
    keptTokens: 5,
    score,
    boundary: ";",
    text,
  });
  const kept = [blk("a.ts", "const other = 3;", 9), blk("b.ts", "const retry_limit = 41;", 1), blk("c.ts", "retry_limit + 1", 2)];
  assert.deepEqual(
    pickReferences(kept, "Q: retry_limit = ", "41").map((b) => b.file),
    ["c.ts", "b.ts"]
  );
  assert.deepEqual(
    pickReferences(kept, "nothing matches", "").map((b) => b.file),
    ["a.ts", "c.ts", "b.ts"]
  );
});
