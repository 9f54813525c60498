/**
 * Prefill and decode speed of the bundled model on this machine (node-llama-cpp, CPU, 1 thread).
 * Usage: node --import tsx scripts/model/benchModel.ts [--model models/dynsplit-tiny.gguf] [--threads 1]
 */
import {generateCase} from "../../src/corpus";
import {getCpuLlama} from "../../src/model/loadLlamaRuntime";
import {tokenizeCase} from "../../src/model/retrievalEval";

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};

async function main() {
  const modelPath = arg("model", "models/dynsplit-tiny.gguf");
  const threads = Number(arg("threads", "1"));
  const decodeTokens = 64;
  const llama = await getCpuLlama();
  const model = await llama.loadModel({modelPath});
  console.log(`model ${modelPath}, threads ${threads}`);
  console.log("context  prefill tok/s   decode tok/s (64 tokens after the context)");
  for (const target of [1024, 2048, 4096]) {
    const context = await model.createContext({contextSize: target + decodeTokens + 64, threads});
    const sequence = context.getSequence();
    const c = generateCase(`bench-${target}`, {contextTokens: target * 1.2});
    const tokens = tokenizeCase(model, c).contextTokens.slice(0, target);
    const prefill: number[] = [];
    const decode: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      await sequence.clearHistory();
      let t0 = performance.now();
      await sequence.evaluateWithoutGeneratingNewTokens(tokens);
      prefill.push(tokens.length / ((performance.now() - t0) / 1000));
      let n = 0;
      t0 = performance.now();
      // Force exactly decodeTokens steps: feed back the greedy token each time.
      for await (const _ of sequence.evaluate(model.tokenize("Q: ", true), {temperature: 0})) {
        if (++n >= decodeTokens) break;
      }
      decode.push(n / ((performance.now() - t0) / 1000));
    }
    const best = (xs: number[]) => Math.max(...xs).toFixed(0);
    console.log(`${String(target).padStart(7)}  ${best(prefill).padStart(13)}   ${best(decode).padStart(12)}`);
    await context.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
