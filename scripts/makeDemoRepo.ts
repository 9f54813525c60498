/**
 * Writes examples/demo-repo: a generated code repository (~5k tokens of the bundled model, ten times the demo's
 * 512-token KV budget) with one planted fact and six distractors, examples/demo-question.txt (the planted fact) and
 * examples/demo-questions.txt (every fact). Deterministic; committed.
 */
import {mkdirSync, rmSync, writeFileSync} from "node:fs";
import path from "node:path";
import {generateCase} from "../src/corpus";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, "examples", "demo-repo");
const c = generateCase("demo-repo", {contextTokens: 5200, needleDepth: 0.42, distractors: 6});
rmSync(out, {recursive: true, force: true});
for (const [rel, content] of Object.entries(c.files)) {
  mkdirSync(path.dirname(path.join(out, rel)), {recursive: true});
  writeFileSync(path.join(out, rel), content);
}
writeFileSync(path.join(root, "examples", "demo-question.txt"), c.question.trimEnd() + "\n");
// Every planted fact, asked after one ingest (the repository-memory part of the demo), in file order.
const planted = Object.values(c.files).flatMap((text) =>
  [...text.matchAll(/const ([a-z]+_[a-z]+) = [0-9]+;/g)].map((m) => `Q: ${m[1]} = `)
);
writeFileSync(path.join(root, "examples", "demo-questions.txt"), planted.join("\n") + "\n");
console.log(`${Object.keys(c.files).length} files, needle ${c.needle.key} = ${c.needle.value}, question "${c.question}"`);
