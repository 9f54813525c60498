#!/usr/bin/env node
// `npm run demo`: the main job on the bundled model. Streams examples/demo-repo (≈10× the KV budget) through a
// 512-token KV cache with DynSplit, answers the planted question, prints the memory summary, then shows how two
// baselines do on the same budget.
import {spawnSync} from "node:child_process";
import {readFileSync} from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "bin", "dynsplit.mjs");
const repo = path.join(root, "examples", "demo-repo");
const question = readFileSync(path.join(root, "examples", "demo-question.txt"), "utf8").trimEnd() + " ";
const common = [repo, question, "--budget-tokens", "512", "--no-cache"];

console.log(`$ dynsplit ask examples/demo-repo "${question}" --budget-tokens 512\n`);
const main = spawnSync(process.execPath, [cli, "ask", ...common], {stdio: "inherit"});
if (main.status !== 0) process.exit(main.status ?? 1);

console.log("\nSame budget, other methods:");
for (const method of ["chunkkv", "streaming", "full"]) {
  const r = spawnSync(process.execPath, [cli, "ask", ...common, "--method", method, ...(method === "full" ? ["--budget", "1"] : []), "--json"].filter((a, i, all) => !(method === "full" && (a === "--budget-tokens" || all[i - 1] === "--budget-tokens"))), {encoding: "utf8"});
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(r.status ?? 1);
  }
  const out = JSON.parse(r.stdout);
  // A full cache of the whole repository goes past the context the bundled model was trained for.
  const beyond = out.beyondModelContext ? ` (beyond the ${out.beyondModelContext.modelContextTokens} tokens the bundled model handles)` : "";
  console.log(`  ${method.padEnd(10)} answer ${JSON.stringify(out.answer).padEnd(8)} kept ${out.tokensKept}/${out.tokensRead} tokens, KV ${(out.kvBytesAllocated / 1024).toFixed(0)} KiB allocated${beyond}`);
}
