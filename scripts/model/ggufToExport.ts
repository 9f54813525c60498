/**
 * The shipped GGUF as a training checkpoint: its tensors (F16/F32) as train.py's raw export (manifest.json + one
 * float32 file per tensor, torch layout), so that `train.py --init-export DIR` continues training from the committed
 * model in a later session (the optimizer state starts afresh, with the warm-up).
 * Usage: node --import tsx scripts/model/ggufToExport.ts [models/dynsplit-tiny.gguf] [models/work/init]
 */
import {mkdirSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {readGgufHeader} from "../../src/engine/gguf/ggufHeader";
import {llamaHyperparametersOf, readF32Tensor} from "../../src/model/ggufTensors";

const NAMES: Record<string, string> = {
  attn_norm: "attnNorm",
  attn_q: "wq",
  attn_k: "wk",
  attn_v: "wv",
  attn_output: "wo",
  ffn_norm: "ffnNorm",
  ffn_gate: "wGate",
  ffn_up: "wUp",
  ffn_down: "wDown",
};

async function main() {
  const [file = "models/dynsplit-tiny.gguf", out = "models/work/init"] = process.argv.slice(2);
  const info = await readGgufHeader(file);
  mkdirSync(out, {recursive: true});
  const tensors: Record<string, number[]> = {};
  for (const t of info.tensors) {
    const {data} = readF32Tensor(file, info, t.name);
    const m = /^blk\.(\d+)\.(\w+)\.weight$/.exec(t.name);
    const name = m
      ? `layers.${m[1]}.${NAMES[m[2]]}`
      : ({"token_embd.weight": "tokenEmbd", "output_norm.weight": "outputNorm", "output.weight": "output"} as Record<string, string>)[
          t.name
        ];
    if (!name) throw new Error(`unexpected tensor ${t.name}`);
    writeFileSync(join(out, `${name}.f32`), data); // ggml [in, out] row-major is torch's [out, in]
    tensors[name] = [...t.shape].reverse();
  }
  const hparams = llamaHyperparametersOf(info);
  writeFileSync(join(out, "manifest.json"), JSON.stringify({tag: String(info.metadata.get("general.name")), hparams, tensors}, null, 1));
  console.log(`wrote ${Object.keys(tensors).length} tensors of ${file} to ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
