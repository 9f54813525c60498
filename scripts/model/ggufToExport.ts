/**
 * The shipped GGUF as a training checkpoint: its tensors (F16/F32) as train.py's raw export (manifest.json + one
 * float32 file per tensor, torch layout), so that `train.py --init-export DIR` continues training from the committed
 * model in a later session (the optimizer state starts afresh, with the warm-up).
 * Usage: node --import tsx scripts/model/ggufToExport.ts [models/dynsplit-tiny.gguf] [models/work/init]
 */
import {closeSync, mkdirSync, openSync, readSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {float16BitsToFloat32} from "../../src/engine/gguf/float16";
import {readGgufHeader} from "../../src/engine/gguf/ggufHeader";

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
  const md = (key: string) => Number(info.metadata.get(`llama.${key}`));
  mkdirSync(out, {recursive: true});
  const tensors: Record<string, number[]> = {};
  const fd = openSync(file, "r");
  for (const t of info.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.ggmlType !== 0 && t.ggmlType !== 1) throw new Error(`${t.name}: ggml type ${t.ggmlType} is neither F32 nor F16`);
    const bytes = Buffer.alloc(n * (t.ggmlType === 0 ? 4 : 2));
    readSync(fd, bytes, 0, bytes.length, info.dataOffset + t.offset);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = t.ggmlType === 0 ? bytes.readFloatLE(4 * i) : float16BitsToFloat32(bytes.readUInt16LE(2 * i));
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
  closeSync(fd);
  const hparams = {
    nLayer: md("block_count"),
    nEmbd: md("embedding_length"),
    nHead: md("attention.head_count"),
    nHeadKv: md("attention.head_count_kv"),
    nFf: md("feed_forward_length"),
    contextLength: md("context_length"),
    rmsEps: md("attention.layer_norm_rms_epsilon"),
    ropeFreqBase: md("rope.freq_base"),
  };
  writeFileSync(join(out, "manifest.json"), JSON.stringify({tag: String(info.metadata.get("general.name")), hparams, tensors}, null, 1));
  console.log(`wrote ${Object.keys(tensors).length} tensors of ${file} to ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
