import assert from "node:assert/strict";
import {mkdtempSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {test} from "node:test";
import {isRightAnswer, isSamePath} from "../../src/cli/answerMatch";
import {readCases} from "../../src/cli/evalCases";

function casesFile(lines: string[]): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "dynsplit-cases-")), "cases.jsonl");
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

test("eval cases: value and file questions, the one-question form, and a clear message for a bad line", () => {
  const file = casesFile([
    JSON.stringify({
      id: "a",
      files: {"src/x.py": "LIMIT = 'os.path.join'\n"},
      questions: [
        {question: "Q: LIMIT = ", answer: "'os.path.join'"},
        {question: "Q: file of LIMIT", answer: "src/x.py", kind: "file"},
      ],
    }),
    JSON.stringify({files: {"a.ts": "const x = 1;\n"}, question: "Q: x = ", answer: "1"}),
  ]);
  const cases = readCases(file);
  assert.deepEqual(
    cases.map((c) => [c.id, c.questions.map((q) => q.kind)]),
    [
      ["a", ["value", "file"]],
      ["2", ["value"]],
    ]
  );
  assert.throws(() => readCases(casesFile([JSON.stringify({files: {"a.ts": "x"}})])), /cases\.jsonl:1: a case needs "questions"/);
  assert.throws(
    () => readCases(casesFile([JSON.stringify({files: {"a.ts": 3}, question: "q", answer: "a"})])),
    /cases\.jsonl:1: files\.a\.ts: /
  );
  assert.throws(
    () => readCases(casesFile([JSON.stringify({files: {}, questions: [{question: "q", answer: "a", kind: "line"}]})])),
    /questions\.0\.kind/
  );
});

test("answers: a multi-token value exactly after trimming; a file as the same path, however the model writes it", () => {
  assert.ok(isRightAnswer("value", " 'os.path.join';\n", "'os.path.join'"));
  assert.ok(!isRightAnswer("value", "os.path", "os.path.join"), "a value cut short is wrong");
  assert.ok(!isRightAnswer("value", "0x1f", "0x1F"), "exact: hex case matters");
  for (const a of [
    "src/http/client.ts",
    "./src/http/client.ts",
    "// file: src/http/client.ts",
    "`src/http/client.ts`",
    "src\\http\\client.ts\nmore",
  ])
    assert.ok(isSamePath(a, "src/http/client.ts"), a);
  for (const a of ["src/http/client.js", "http/client.ts", "", "client.ts"]) assert.ok(!isSamePath(a, "src/http/client.ts"), a);
});
