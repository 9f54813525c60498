/**
 * Small random-weight models of real architectures with a real tokenizer, for tests of model mechanics (chat
 * templates, capability at load, compression, the store) on what users bring. The vocabulary, merges, special
 * tokens and chat template are copied from a vocabulary-only GGUF (llama.cpp ships them as
 * `models/ggml-vocab-*.gguf`); the weights are noise, so answers are noise: assert mechanics, never content.
 * Tensor names and shapes follow each architecture's `load_arch_tensors` in llama.cpp (src/models/*.cpp).
 */
import {GgufValueType, gguf, readGgufHeader, type GgufMetadataInput, type GgufMetadataValue, type GgufTensorInput} from "../engine/gguf";
import {writeGguf} from "../engine/gguf/ggufWriter";
import {llamaGgufInput, randomLlamaWeights, type LlamaHyperparameters} from "./llamaGguf";

/** llama (GQA), qwen2, phi3: plain attention; qwen3: QK-norm; gemma3: iSWA + QK-norm; qwen2vl: M-RoPE; mamba: recurrent. */
export const TEST_ARCHITECTURES = ["llama", "qwen2", "phi3", "qwen3", "gemma3", "qwen2vl", "mamba"] as const;
export type TestArchitecture = (typeof TEST_ARCHITECTURES)[number];

export interface ArchModelOptions {
  architecture: TestArchitecture;
  /** A GGUF whose `tokenizer.*` keys are copied (a ggml-vocab-*.gguf). */
  vocabFile: string;
  nLayer?: number;
  nEmbd?: number;
  nHead?: number;
  nHeadKv?: number;
  contextLength?: number;
  seed?: number;
  /** An output bias that makes greedy decoding emit this token (by its text in the vocabulary) first: a way to test
   *  how generation ends without trained weights. Architectures with an output bias only (qwen2, qwen2vl, phi3). */
  favourToken?: string;
}

const SCALAR_NAMES: Partial<Record<GgufValueType, Parameters<typeof gguf.array>[0]>> = {
  [GgufValueType.UINT8]: "u8",
  [GgufValueType.INT8]: "i8",
  [GgufValueType.UINT16]: "u16",
  [GgufValueType.INT16]: "i16",
  [GgufValueType.UINT32]: "u32",
  [GgufValueType.INT32]: "i32",
  [GgufValueType.FLOAT32]: "f32",
  [GgufValueType.UINT64]: "u64",
  [GgufValueType.INT64]: "i64",
  [GgufValueType.FLOAT64]: "f64",
};

/** The tokenizer keys of a GGUF, typed as stored (arrays: strings, or the ids and scores llama.cpp expects). */
async function tokenizerMetadata(
  vocabFile: string
): Promise<{metadata: Record<string, GgufMetadataInput>; nVocab: number; types: number[]; tokens: string[]}> {
  const header = await readGgufHeader(vocabFile);
  const metadata: Record<string, GgufMetadataInput> = {};
  for (const [key, value] of header.metadata) {
    if (!key.startsWith("tokenizer.")) continue;
    metadata[key] = typed(key, value, header.metadataTypes.get(key)!);
  }
  const tokens = header.metadata.get("tokenizer.ggml.tokens") as string[] | undefined;
  if (!tokens) throw new Error(`${vocabFile} has no tokenizer.ggml.tokens`);
  const types = (header.metadata.get("tokenizer.ggml.token_type") as number[] | undefined) ?? tokens.map(() => 1);
  return {metadata, nVocab: tokens.length, types, tokens};
}

function typed(key: string, value: GgufMetadataValue, type: GgufValueType): GgufMetadataInput {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value;
  if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === "string") return value as string[];
    const item = key.endsWith("token_type") ? "i32" : key.endsWith("scores") ? "f32" : "i32";
    return gguf.array(item, value as number[]);
  }
  const name = SCALAR_NAMES[type] ?? "u32";
  return {type: name, value} as GgufMetadataInput;
}

function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number, scale: number, offset = 0) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      a[i] = offset + (s / 4294967296 - 0.5) * 2 * scale;
    }
    return a;
  };
}

export async function writeArchModel(outPath: string, o: ArchModelOptions): Promise<void> {
  const tok = await tokenizerMetadata(o.vocabFile);
  const arch = o.architecture;
  const h: LlamaHyperparameters = {
    nLayer: o.nLayer ?? (arch === "gemma3" ? 6 : 2),
    nEmbd: o.nEmbd ?? 64,
    nHead: o.nHead ?? 4,
    nHeadKv: o.nHeadKv ?? 2,
    nFf: 128,
    contextLength: o.contextLength ?? 4096,
    rmsEps: 1e-6,
    ropeFreqBase: 10000,
  };
  const headDim = h.nEmbd / h.nHead;
  const rand = rng(o.seed ?? 1);
  const ones = (n: number) => new Float32Array(n).fill(1);
  const general: Record<string, GgufMetadataInput> = {
    "general.architecture": arch,
    "general.name": `random ${arch} (${o.vocabFile.split("/").pop()})`,
    "general.file_type": gguf.u32(1),
  };
  let metadata: Record<string, GgufMetadataInput>;
  let tensors: GgufTensorInput[];
  if (arch === "mamba") {
    const dInner = 2 * h.nEmbd;
    const dState = 8;
    const dConv = 4;
    const dtRank = 4;
    metadata = {
      ...general,
      "mamba.context_length": gguf.u32(h.contextLength),
      "mamba.embedding_length": gguf.u32(h.nEmbd),
      "mamba.block_count": gguf.u32(h.nLayer),
      "mamba.feed_forward_length": gguf.u32(0),
      "mamba.attention.head_count": gguf.u32(0),
      "mamba.attention.layer_norm_rms_epsilon": gguf.f32(h.rmsEps),
      "mamba.ssm.conv_kernel": gguf.u32(dConv),
      "mamba.ssm.inner_size": gguf.u32(dInner),
      "mamba.ssm.state_size": gguf.u32(dState),
      "mamba.ssm.time_step_rank": gguf.u32(dtRank),
      ...tok.metadata,
    };
    const sc = 1 / Math.sqrt(h.nEmbd);
    tensors = [{name: "token_embd.weight", shape: [h.nEmbd, tok.nVocab], type: "f16", data: rand(tok.nVocab * h.nEmbd, 1)}];
    for (let i = 0; i < h.nLayer; i++) {
      const p = `blk.${i}.`;
      tensors.push(
        {name: p + "attn_norm.weight", shape: [h.nEmbd], type: "f32", data: ones(h.nEmbd)},
        {name: p + "ssm_in.weight", shape: [h.nEmbd, 2 * dInner], type: "f16", data: rand(2 * dInner * h.nEmbd, sc)},
        {name: p + "ssm_conv1d.weight", shape: [dConv, dInner], type: "f32", data: rand(dConv * dInner, 0.5)},
        {name: p + "ssm_conv1d.bias", shape: [dInner], type: "f32", data: rand(dInner, 0.1)},
        {name: p + "ssm_x.weight", shape: [dInner, dtRank + 2 * dState], type: "f16", data: rand(dInner * (dtRank + 2 * dState), sc)},
        {name: p + "ssm_dt.weight", shape: [dtRank, dInner], type: "f32", data: rand(dtRank * dInner, 0.5)},
        {name: p + "ssm_dt.bias", shape: [dInner], type: "f32", data: rand(dInner, 0.1)},
        {name: p + "ssm_a", shape: [dState, dInner], type: "f32", data: rand(dState * dInner, 0.5, -1)},
        {name: p + "ssm_d", shape: [dInner], type: "f32", data: ones(dInner)},
        {name: p + "ssm_out.weight", shape: [dInner, h.nEmbd], type: "f16", data: rand(h.nEmbd * dInner, sc)}
      );
    }
    tensors.push({name: "output_norm.weight", shape: [h.nEmbd], type: "f32", data: ones(h.nEmbd)});
  } else {
    // The llama tensor set (attention + SwiGLU FFN), renamed into the architecture's keys, plus its extra tensors.
    const base = llamaGgufInput({
      name: "",
      hparams: h,
      vocab: {tokens: new Array(tok.nVocab).fill(""), scores: new Array(tok.nVocab).fill(0), types: tok.types},
      weights: {...randomLlamaWeights(h, tok.nVocab, o.seed ?? 1), output: undefined},
    } as Parameters<typeof llamaGgufInput>[0]);
    metadata = {...general};
    for (const [k, v] of Object.entries(base.metadata)) if (k.startsWith("llama.")) metadata[`${arch}.${k.slice(6)}`] = v;
    Object.assign(metadata, tok.metadata);
    tensors = base.tensors;
    const perLayer = (suffix: string, shape: number[], data: () => Float32Array) => {
      for (let i = 0; i < h.nLayer; i++) tensors.push({name: `blk.${i}.${suffix}`, shape, type: "f32", data: data()});
    };
    if (arch === "phi3") {
      // Phi-3 fuses gate and up into one [n_embd, 2·n_ff] matrix.
      tensors = tensors.filter((t) => !t.name.endsWith("ffn_gate.weight"));
      for (const t of tensors)
        if (t.name.endsWith("ffn_up.weight"))
          Object.assign(t, {shape: [h.nEmbd, 2 * h.nFf], data: rand(2 * h.nFf * h.nEmbd, 1 / Math.sqrt(h.nEmbd))});
      metadata["phi3.rope.dimension_count"] = gguf.u32(headDim);
    }
    if (arch === "qwen3" || arch === "gemma3") {
      perLayer("attn_q_norm.weight", [headDim], () => ones(headDim));
      perLayer("attn_k_norm.weight", [headDim], () => ones(headDim));
      metadata[`${arch}.attention.key_length`] = gguf.u32(headDim);
      metadata[`${arch}.attention.value_length`] = gguf.u32(headDim);
    }
    if (arch === "gemma3") {
      perLayer("post_attention_norm.weight", [h.nEmbd], () => ones(h.nEmbd));
      perLayer("post_ffw_norm.weight", [h.nEmbd], () => ones(h.nEmbd));
      metadata["gemma3.attention.sliding_window"] = gguf.u32(128);
    }
    if (arch === "qwen2vl") {
      // Sections of the rotated half-dimensions (time, height, width, extra), as Qwen2-VL's 16/24/24/0 of 64.
      const half = headDim / 2;
      const t = Math.floor(half / 4);
      const hw = Math.floor((half - t) / 2);
      metadata["qwen2vl.rope.dimension_sections"] = gguf.array("i32", [t, hw, half - t - hw, 0]);
    }
  }
  if (o.favourToken != null) {
    if (!["qwen2", "qwen2vl", "phi3"].includes(arch)) throw new Error(`${arch} has no output bias`);
    const id = tok.tokens.indexOf(o.favourToken);
    if (id < 0) throw new Error(`${o.favourToken} is not in the vocabulary`);
    const bias = new Float32Array(tok.nVocab);
    bias[id] = 1000;
    tensors.push({name: "output.bias", shape: [tok.nVocab], type: "f32", data: bias});
  }
  await writeGguf(outPath, {metadata, tensors});
}
