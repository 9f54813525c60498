/**
 * Check that llama.cpp (through node-llama-cpp) computes the same function as training:
 * per-position greedy tokens and last-position logits vs scripts/model/torchReference.py.
 * Usage: node --import tsx scripts/model/checkEquivalence.ts MODEL.gguf CKPT.pt|EXPORT_DIR (a train.py checkpoint or export)
 */
import {execFileSync} from "node:child_process";
import {readFileSync, writeFileSync} from "node:fs";
import type {Token} from "node-llama-cpp";
import {generateCase} from "../../src/corpus";
import {getCpuLlama} from "../../src/model/loadLlamaRuntime";
import {tokenizeCase} from "../../src/model/retrievalEval";

async function main() {
  const [modelPath, ckpt] = process.argv.slice(2);
  const llama = await getCpuLlama();
  const model = await llama.loadModel({modelPath});
  const seqs: Token[][] = [0, 1].map((i) => {
    const c = generateCase(`equiv-${i}`, {contextChars: 1200});
    const t = tokenizeCase(model, c);
    return [...t.contextTokens, ...t.questionTokens];
  });
  writeFileSync("models/work/equiv-in.json", JSON.stringify({tokens: seqs}));
  execFileSync("/usr/bin/python3", ["scripts/model/torchReference.py", ckpt, "models/work/equiv-in.json", "models/work/equiv-out.json"], {
    stdio: "inherit",
  });
  const ref = JSON.parse(readFileSync("models/work/equiv-out.json", "utf8")) as {argmax: number[][]; lastLogits: number[][]};
  const context = await model.createContext({contextSize: 2048, threads: 1});
  const seq = context.getSequence();
  let agree = 0;
  let total = 0;
  for (let s = 0; s < seqs.length; s++) {
    await seq.clearHistory();
    const toks = seqs[s];
    const res = await seq.controlledEvaluate(toks.map((t) => [t, {generateNext: {token: true, probabilities: false}}] as const));
    res.forEach((r, i) => {
      if (r?.next?.token === undefined) return;
      total++;
      if (r.next.token === ref.argmax[s][i]) agree++;
    });
    const lastRef = ref.lastLogits[s];
    const refTop = lastRef.indexOf(Math.max(...lastRef));
    console.log(`seq ${s}: llama.cpp last token ${res[res.length - 1]?.next?.token}, torch ${refTop}`);
  }
  console.log(`greedy agreement llama.cpp vs torch: ${agree}/${total} (${((agree / total) * 100).toFixed(2)}%)`);
  await context.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
