#!/usr/bin/env node
// `npm run demo`: the main job on the bundled model. examples/demo-repo (≈10× the KV budget, 7 planted facts) is read
// once into the repository memory; every fact is then asked, each answer from the blocks of the whole repository that
// its question selects into a 512-token context. Then the same questions re-reading the repository for each one, and
// how two baselines do on the same budget.
import {spawnSync} from "node:child_process";
import {readdirSync, readFileSync, statSync} from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "bin", "dynsplit.mjs");
const repo = path.join(root, "examples", "demo-repo");
const questionsFile = path.join(root, "examples", "demo-questions.txt");

/** The planted facts (key → value, and key → file), to mark each answer right or wrong. */
const facts = new Map();
const files = new Map();
const walk = (dir) =>
  readdirSync(dir).flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? walk(path.join(dir, n)) : [path.join(dir, n)]));
for (const f of walk(repo))
  for (const m of readFileSync(f, "utf8").matchAll(/^const ([A-Za-z][A-Za-z0-9_]*) = (.+);$/gm)) {
    facts.set(m[1], m[2]);
    files.set(m[1], path.relative(repo, f));
  }

function ask(args) {
  const r = spawnSync(process.execPath, [cli, "ask", repo, ...args, "--json"], {encoding: "utf8"});
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(r.status ?? 1);
  }
  return JSON.parse(r.stdout);
}

console.log(`$ dynsplit ask examples/demo-repo --questions examples/demo-questions.txt --budget-tokens 512\n`);
const memory = ask(["--questions", questionsFile, "--budget-tokens", "512", "--no-cache"]);
const reread = ask(["--questions", questionsFile, "--budget-tokens", "512", "--no-cache", "--answer-from", "reread"]);
const keyOf = (q) => q.replace(/^Q: (file of )?/, "").replace(/ (=|is)$/, "");
const expected = (q) => (q.startsWith("Q: file of ") ? files.get(keyOf(q)) : facts.get(keyOf(q)));
const right = (a) => a.answer === expected(a.question);
console.log(
  `read once: ${memory.ingest.tokensRead} tokens of ${memory.ingest.files} files into the repository memory (${(memory.ingest.storeBytes / 2 ** 20).toFixed(1)} MiB), ${(memory.ingest.ingestMs / 1000).toFixed(1)} s`
);
console.log(
  `each question: a ${memory.answers[0].tokensKept}-token context chosen from all ${memory.ingest.tokensTotal} tokens (${memory.answers[0].signal})\n`
);
// reread: the first question steers the read made at load, so that read is part of its time to the first token.
const rereadFirstToken = reread.answers.map((b, i) => b.firstTokenMs + (i === 0 ? reread.ingest.ingestMs : 0));
// A column of the table: a longer text (a wrong answer that runs on, a long path) is cut with an ellipsis.
const cell = (text, width) => (text.length > width ? text.slice(0, width - 1) + "…" : text).padEnd(width);
console.log(`${"question".padEnd(28)} ${"answer".padEnd(24)} ${"expected".padEnd(24)} memory: first token   reread: first token`);
memory.answers.forEach((a, i) => {
  const b = reread.answers[i];
  console.log(
    `${cell(a.question, 28)} ${cell(a.answer, 24)} ${cell(expected(a.question), 24)} ${right(a) ? "right" : "WRONG"} ${a.firstTokenMs.toFixed(0).padStart(5)} ms       ${right(b) ? "right" : "WRONG"} ${rereadFirstToken[i].toFixed(0).padStart(6)} ms`
  );
});
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const mMean = mean(memory.answers.map((a) => a.firstTokenMs));
const rMean = mean(rereadFirstToken);
console.log(
  `\nmemory ${memory.answers.filter(right).length}/${memory.answers.length} right, ${mMean.toFixed(0)} ms to the first token on average; re-reading per question ${reread.answers.filter(right).length}/${reread.answers.length}, ${rMean.toFixed(0)} ms (${(rMean / mMean).toFixed(0)}× slower)`
);

console.log("\nOne question, the same 512-token budget, other methods (re-reading with the question):");
const question = readFileSync(path.join(root, "examples", "demo-question.txt"), "utf8").trimEnd();
for (const method of ["dynsplit", "chunkkv", "streaming", "full"]) {
  const args = [
    question,
    "--answer-from",
    "reread",
    "--method",
    method,
    "--no-cache",
    ...(method === "full" ? ["--budget", "1"] : ["--budget-tokens", "512"]),
  ];
  const out = ask(args);
  const beyond = out.beyondModelContext
    ? ` (beyond the ${out.beyondModelContext.modelContextTokens} tokens the bundled model handles)`
    : "";
  console.log(
    `  ${method.padEnd(10)} answer ${JSON.stringify(out.answer).padEnd(8)} kept ${out.tokensKept}/${out.tokensRead} tokens, KV ${(out.kvBytesAllocated / 1024).toFixed(0)} KiB allocated${beyond}`
  );
}
