/**
 * Assemble the GGUF from train.py's raw export (manifest.json + float32 tensor files).
 * Usage: node --import tsx scripts/model/exportGguf.ts [exportDir] [out.gguf]
 */
import {readFileSync, statSync} from "node:fs";
import {join} from "node:path";
import {validateGgufFile} from "../../src/engine/gguf/ggufHeader";
import {type LlamaHyperparameters, type LlamaWeights, writeLlamaGguf} from "../../src/model/llamaGguf";
import {TRAINED_VOCAB, trainedVocabulary} from "../../src/model/trainedVocab";

interface Manifest {
  tag: string;
  hparams: LlamaHyperparameters;
  vocabSize: number;
  tensors: Record<string, number[]>;
}

/** A tied output (the same matrix as the embedding) is left out: llama.cpp then uses token_embd as the output. */
function untiedOutput(output: Float32Array | undefined, embedding: Float32Array): Float32Array | undefined {
  if (!output || output.length !== embedding.length) return output;
  for (let i = 0; i < output.length; i++) if (output[i] !== embedding[i]) return output;
  return undefined;
}

export async function exportGguf(exportDir: string, outPath: string): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(exportDir, "manifest.json"), "utf8")) as Manifest;
  const vocab = await trainedVocabulary();
  if (vocab.tokens.length !== manifest.vocabSize) throw new Error(`vocab size ${vocab.tokens.length} != trained ${manifest.vocabSize}`);
  const load = (name: string): Float32Array => {
    const shape = manifest.tensors[name];
    if (!shape) throw new Error(`tensor ${name} missing from manifest`);
    const buf = readFileSync(join(exportDir, `${name}.f32`));
    const out = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    if (out.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`tensor ${name}: size mismatch`);
    return out;
  };
  const h = manifest.hparams;
  const weights: LlamaWeights = {
    tokenEmbd: load("tokenEmbd"),
    layers: Array.from({length: h.nLayer}, (_, i) => ({
      attnNorm: load(`layers.${i}.attnNorm`),
      wq: load(`layers.${i}.wq`),
      wk: load(`layers.${i}.wk`),
      wv: load(`layers.${i}.wv`),
      wo: load(`layers.${i}.wo`),
      ffnNorm: load(`layers.${i}.ffnNorm`),
      wGate: load(`layers.${i}.wGate`),
      wUp: load(`layers.${i}.wUp`),
      wDown: load(`layers.${i}.wDown`),
    })),
    outputNorm: load("outputNorm"),
    output: untiedOutput(manifest.tensors.output ? load("output") : undefined, load("tokenEmbd")),
  };
  await writeLlamaGguf(outPath, {
    name: `dynsplit-tiny (${manifest.tag})`,
    hparams: h,
    vocab,
    weights,
    f16: true,
    extraMetadata: {
      "general.description": `DynSplit Chat tiny retrieval model; vocabulary: ${TRAINED_VOCAB} (llama.cpp models/ggml-vocab-${TRAINED_VOCAB}.gguf); see models/README.md`,
    },
  });
  const check = await validateGgufFile(outPath);
  if (!check.ok) throw new Error(check.error);
  console.log(`wrote ${outPath} (${(statSync(outPath).size / 1e6).toFixed(2)} MB, ${manifest.tag})`);
}

if (process.argv[1]?.endsWith("exportGguf.ts")) {
  const [dir = "models/work/run/export", out = "models/dynsplit-tiny.gguf"] = process.argv.slice(2);
  exportGguf(dir, out).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
