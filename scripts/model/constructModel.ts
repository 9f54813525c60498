/**
 * Plan B for the bundled model: a llama-architecture GGUF whose weights are CONSTRUCTED, not trained, to carry out
 * the fact lookup by attention (an induction circuit), over the same vocabulary and templates as the trained model.
 *
 *   layer 0, positional heads (RoPE, high-frequency pairs) copy tokens from fixed offsets into the residual:
 *     "the previous token is the one before values" (S1), the key token as far back as the fact template puts it
 *     before the value (SK_fact), and as far back as the question template puts it before the answer (SK_question);
 *   layer 1, one content head (RoPE pairs whose rotation is negligible over 8k positions): the question's last
 *     position matches positions whose SK_fact equals its SK_question and whose S1 is set — the value — and copies
 *     the value's number identity, which the (tied) output layer reads.
 * The offsets are read from the templates (src/corpus/facts.ts) through the real tokenizer.
 * Every answer therefore comes from attention to the one cell that holds the value: erase it and the answer is gone.
 *
 * Usage: node --import tsx scripts/model/constructModel.ts <out.gguf>
 */
import {getLlama} from "node-llama-cpp";
import {FACT_TEMPLATE, QUESTION_TEMPLATE} from "../../src/corpus/facts";
import {buildCodeVocabulary} from "../../src/model/codeVocab";
import {writeLlamaGguf, type LlamaHyperparameters} from "../../src/model/llamaGguf";

const out = process.argv[2] ?? "models/work/constructed.gguf";
const vocab = buildCodeVocabulary();
const V = vocab.tokens.length;
const D = 768;
const H = 3;
const HD = D / H; // 256
const BASE = 2.4e11; // pairs 0..7 rotate fast (positions), pairs ≥ 63 barely rotate (content)
const hp: LlamaHyperparameters = {nLayer: 2, nEmbd: D, nHead: H, nHeadKv: H, nFf: 16, contextLength: 8192, rmsEps: 1e-5, ropeFreqBase: BASE};

// Residual layout.
const BIAS = 0;
const FILLER = 1;
const E_KEY = 2; // 128
const E_NUM = 130; // 160
const E_EQ = 290;
const S1 = 291;
const SK_FACT = 292; // 128
const SK_QUESTION = 420; // 128
const KEY_DIM = 128;
const NUM_DIM = 160;
const B = 4;

let seed = 12345;
function gauss(): number {
  // Box–Muller over a small LCG: deterministic codes.
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  const u = (seed + 1) / 4294967297;
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  const v = (seed + 1) / 4294967297;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
function unit(n: number): Float32Array {
  const a = new Float32Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) s += (a[i] = gauss()) ** 2;
  for (let i = 0; i < n; i++) a[i] /= Math.sqrt(s);
  return a;
}

// Offsets from the templates, tokenized by llama.cpp itself (a vocabulary-only pass over a first write).
const layoutProbe = await (async () => {
  const zero = (n: number) => new Float32Array(n);
  const l = {attnNorm: zero(D), wq: zero(D * D), wk: zero(D * D), wv: zero(D * D), wo: zero(D * D), ffnNorm: zero(D), wGate: zero(hp.nFf * D), wUp: zero(hp.nFf * D), wDown: zero(D * hp.nFf)};
  await writeLlamaGguf(out, {name: "tmp", hparams: hp, vocab, weights: {tokenEmbd: zero(V * D), layers: [l, l], outputNorm: zero(D)}, f16: true});
  const llama = await getLlama({gpu: false, build: "never", usePrebuiltBinaries: true, cmakeOptions: {DYNSPLIT_STOCK: "ON"}});
  const m = await llama.loadModel({modelPath: out, vocabOnly: true});
  const key = "retry_limit";
  const fact = m.tokenize(FACT_TEMPLATE.replace("{key}", key).replace("{value}", "41"));
  const question = m.tokenize(QUESTION_TEMPLATE.replace("{key}", key));
  const keyId = m.tokenize(key)[0];
  const valueAt = fact.indexOf(m.tokenize("41")[0]);
  const r = {factKeyOffset: valueAt - fact.indexOf(keyId), beforeValue: fact[valueAt - 1], questionKeyOffset: question.length - 1 - question.lastIndexOf(keyId)};
  await m.dispose();
  await llama.dispose();
  return r;
})();
const eq = layoutProbe.beforeValue;
console.log(`fact: key ${layoutProbe.factKeyOffset} before the value, after "${vocab.tokens[eq]}"; question: key ${layoutProbe.questionKeyOffset} before the answer`);
const emb = new Float32Array(V * D);
let keys = 0;
let nums = 0;
for (let t = 0; t < V; t++) {
  const row = t * D;
  const piece = vocab.tokens[t];
  emb[row + BIAS] = B;
  if (/^[a-z]+_[a-z]+$/.test(piece)) {
    emb.set(unit(KEY_DIM), row + E_KEY);
    keys++;
  } else if (/^\d{1,3}$/.test(piece)) {
    emb.set(unit(NUM_DIM), row + E_NUM);
    nums++;
  } else if (t === eq) emb[row + E_EQ] = 1;
  else emb[row + FILLER] = 1; // every row has the same norm, so RMSNorm scales every token alike
}

const zeros = (n: number) => new Float32Array(n);
const ones = (n: number) => new Float32Array(n).fill(1);
const c0 = Math.sqrt(D / (B * B + 1)); // 1/rms of an embedding
const c1 = Math.sqrt(D / (B * B + 3)); // 1/rms after layer 0 (typical)
const theta = (pair: number) => Math.pow(BASE, (-2 * pair) / HD);

// Layer 0: positional heads. score(δ) ∝ Σ_i a² cos((d−δ)θ_i), peaked at δ = d.
const l0 = {wq: zeros(D * D), wk: zeros(D * D), wv: zeros(D * D), wo: zeros(D * D)};
const A = Math.sqrt(0.6);
const offsets = [...new Set([1, layoutProbe.factKeyOffset, layoutProbe.questionKeyOffset])];
if (offsets.length > H) throw new Error("more offsets than heads");
offsets.forEach((d, h) => {
  for (let i = 0; i < 8; i++) {
    const r = h * HD + 2 * i;
    l0.wq[r * D + BIAS] = A;
    l0.wk[r * D + BIAS] = A * Math.cos(d * theta(i));
    l0.wk[(r + 1) * D + BIAS] = A * Math.sin(d * theta(i));
  }
  // Value: the key identity (128 dims) and the "token before values" flag (dim 128 of the head).
  for (let j = 0; j < KEY_DIM; j++) l0.wv[(h * HD + j) * D + (E_KEY + j)] = 1;
  l0.wv[(h * HD + KEY_DIM) * D + E_EQ] = 1;
  if (d === 1) l0.wo[S1 * D + h * HD + KEY_DIM] = 1 / c0;
  for (let j = 0; j < KEY_DIM; j++) {
    if (d === layoutProbe.factKeyOffset) l0.wo[(SK_FACT + j) * D + (h * HD + j)] = 1 / c0;
    if (d === layoutProbe.questionKeyOffset) l0.wo[(SK_QUESTION + j) * D + (h * HD + j)] = 1 / c0;
  }
});

// Layer 1: one content head on the slow pairs (head dims 126..255).
const l1 = {wq: zeros(D * D), wk: zeros(D * D), wv: zeros(D * D), wo: zeros(D * D)};
const ALPHA = Math.sqrt((40 * 16) / (c1 * c1)); // key match ≈ 40 nats
const BETA = Math.sqrt((25 * 16) / (B * c1 * c1)); // "previous token is ' = '" ≈ 25 nats
for (let j = 0; j < KEY_DIM; j++) {
  l1.wq[(126 + j) * D + (SK_QUESTION + j)] = ALPHA;
  l1.wk[(126 + j) * D + (SK_FACT + j)] = ALPHA;
}
l1.wq[254 * D + BIAS] = BETA;
l1.wk[254 * D + S1] = BETA;
for (let j = 0; j < NUM_DIM; j++) {
  l1.wv[j * D + (E_NUM + j)] = 1;
  l1.wo[(E_NUM + j) * D + j] = 1 / c1;
}

// Output: the tied embedding read through the final norm's gain, which keeps only the number identity.
const outputNorm = zeros(D);
for (let j = 0; j < NUM_DIM; j++) outputNorm[E_NUM + j] = 8;

const layer = (l: typeof l0) => ({attnNorm: ones(D), ...l, ffnNorm: ones(D), wGate: zeros(hp.nFf * D), wUp: zeros(hp.nFf * D), wDown: zeros(D * hp.nFf)});
const bytes = await writeLlamaGguf(out, {
  name: "dynsplit-constructed",
  hparams: hp,
  vocab,
  weights: {tokenEmbd: emb, layers: [layer(l0), layer(l1)], outputNorm},
  f16: true,
});
console.log(`wrote ${out}: ${(bytes / 2 ** 20).toFixed(1)} MiB, ${keys} key tokens, ${nums} number tokens`);
