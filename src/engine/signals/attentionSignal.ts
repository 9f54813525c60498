/**
 * JS side of the DynSplit KV hook (kernels/README.md): per-token attention mass received from an observation
 * window of queries, and (dense mode) each query's mass on its recent vs older keys (DD-Select).
 *
 * The hook computes both inside llama.cpp's compute graph (standard ggml operations, on whichever backend holds the
 * KV cache, flash attention on or off) and reads back only the reductions. Cost model: the bulk of the text is
 * evaluated with the hook off (the graph is llama.cpp's own); only the observation tokens — the last `w` tokens of
 * the prompt, or the user's question — are evaluated with it on, which adds softmax(q·Kᵀ) for those rows alone.
 * Dense mode (`localDistantAllRows`) keeps it on for every row: exact DD-Select inputs, at the cost of a second
 * q·Kᵀ over the prefill (`npm run bench:probe`).
 */
import type {LlamaContext, LlamaContextSequence, Token} from "node-llama-cpp";
import {defaultKeyNormLayers} from "./keyNormSignal";
import {modelKvShape} from "./modelKvShape";
import type {TokenSignal} from "./types";

export interface AttentionProbeOptions {
  /** r: a key is "local" to query q when its position is in (q − r, q]. Default 32. */
  localWindow?: number;
  /** Keys at positions < sinkTokens count as neither local nor distant (attention sinks). Default 4. */
  sinkTokens?: number;
  /** Layers to average over (default: all). */
  layers?: readonly number[];
}

/** What the patched addon returns (sums over selected layers, heads, rows; `path` is "graph"). */
interface ProbeReadout {
  obsMassByPos: Float64Array;
  localByPos: Float64Array;
  distantByPos: Float64Array;
  sinkByPos: Float64Array;
  queryRowsByPos: Int32Array;
  /** Σ over KV heads and layers of each new key's L2 norm, and how many norms that is (keyNorms). */
  keyNormByPos: Float64Array;
  keyNormCountByPos: Int32Array;
  obsDistributions: number;
  calls: number;
  skipped: number;
  probeMs: number;
  nHead: number;
  lastNKv: number;
  layersSeen: number[];
  path: string;
  version: string;
  /** Roped query vectors of observation rows per layer (captureQueries). */
  queries?: CapturedQueries[];
}

export interface CapturedQueries {
  layer: number;
  nHead: number;
  headDim: number;
  /** rows × nHead × headDim, rows in evaluation order; RoPE applied at `positions`. */
  data: Float32Array;
  positions: Int32Array;
}

interface ProbeAddonContext {
  dynsplitProbeSetOptions(options: {
    enabled?: boolean;
    observationRows?: number;
    /** ≥ 0: the observation rows are the tokens at positions ≥ this (overrides observationRows); -1: off. */
    observationFromPosition?: number;
    localWindow?: number;
    sinkTokens?: number;
    localDistantAllRows?: boolean;
    captureQueries?: boolean;
    keyNorms?: boolean;
    seqId?: number;
    layers?: number[];
  }): void;
  dynsplitProbeReset(): void;
  dynsplitProbeRead(): ProbeReadout;
}

function probeOf(context: LlamaContext): ProbeAddonContext {
  const addon = (context as unknown as {_ctx?: Partial<ProbeAddonContext>})._ctx;
  if (typeof addon?.dynsplitProbeSetOptions !== "function")
    throw new Error("This llama binary has no DynSplit KV hook: load it with loadLlama({probe: true}) after `npm run build:kernels`.");
  return addon as ProbeAddonContext;
}

export function contextHasAttentionProbe(context: LlamaContext): boolean {
  return typeof (context as unknown as {_ctx?: Partial<ProbeAddonContext>})._ctx?.dynsplitProbeSetOptions === "function";
}

/** Raw probe readout plus the signal, for tests and diagnostics. */
export interface AttentionMeasurement {
  signal: TokenSignal;
  readout: ProbeReadout;
}

/**
 * `elapsedMs` counts the time spent inside the probe (native, during the decodes) plus the readout here; the
 * evaluation itself is prefill the caller needs anyway.
 */
function readAndConvert(probe: ProbeAddonContext, sequence: LlamaContextSequence, dense: boolean): AttentionMeasurement {
  const start = performance.now();
  const readout = probe.dynsplitProbeRead();
  if (readout.calls === 0)
    throw new Error(
      readout.skipped > 0
        ? `the KV hook skipped all ${readout.skipped} batches: they held several sequences at once`
        : "the KV hook measured nothing: this model's attention is of a form the hook does not cover"
    );
  const signal = toSignal(readout, sequence.contextTokens.length, 0, dense);
  signal.elapsedMs = readout.probeMs + (performance.now() - start);
  return {signal, readout};
}

function toSignal(readout: ProbeReadout, nTokens: number, elapsedMs: number, dense: boolean): TokenSignal {
  const tokenScores = new Float32Array(nTokens);
  const norm = readout.obsDistributions > 0 ? 1 / readout.obsDistributions : 0;
  for (let p = 0; p < Math.min(nTokens, readout.obsMassByPos.length); p++) tokenScores[p] = readout.obsMassByPos[p] * norm;
  const signal: TokenSignal = {kind: "attention", tokenScores, elapsedMs};
  if (dense) {
    // Every token evaluated in this call was a query: its masses are set; earlier tokens (measured when their own
    // chunk was evaluated, the probe being reset per call) stay NaN here and keep what the caller measured then.
    const localMass = new Float32Array(nTokens).fill(NaN);
    const distantMass = new Float32Array(nTokens).fill(NaN);
    for (let q = 0; q < nTokens; q++) {
      const rows = q < readout.queryRowsByPos.length ? readout.queryRowsByPos[q] : 0;
      if (rows === 0) continue;
      localMass[q] = readout.localByPos[q] / rows;
      distantMass[q] = readout.distantByPos[q] / rows;
    }
    signal.localMass = localMass;
    signal.distantMass = distantMass;
  }
  return signal;
}

async function evaluateTokens(sequence: LlamaContextSequence, tokens: Token[]): Promise<void> {
  if (tokens.length > 0) await sequence.evaluateWithoutGeneratingNewTokens(tokens);
}

function setOptions(probe: ProbeAddonContext, sequence: LlamaContextSequence, options: AttentionProbeOptions): void {
  probe.dynsplitProbeSetOptions({
    localWindow: options.localWindow ?? 32,
    sinkTokens: options.sinkTokens ?? 4,
    layers: options.layers ? [...options.layers] : [],
    seqId: (sequence as unknown as {_sequenceId: number})._sequenceId,
  });
}

/**
 * Evaluates `observationTokens` (e.g. the user's question) into the sequence with the probe on; every one of
 * them is an observation query. Returns the attention mass each token of the sequence received, averaged
 * over observation rows, heads and layers (so it sums to ~1 over the sequence).
 */
export async function evaluateObservationWindow(
  sequence: LlamaContextSequence,
  observationTokens: Token[],
  options: AttentionProbeOptions = {}
): Promise<AttentionMeasurement> {
  const probe = probeOf(sequence.context);
  setOptions(probe, sequence, options);
  probe.dynsplitProbeReset();
  probe.dynsplitProbeSetOptions({enabled: true, observationRows: -1, observationFromPosition: -1, localDistantAllRows: false});
  try {
    await sequence.evaluateWithoutGeneratingNewTokens(observationTokens);
  } finally {
    probe.dynsplitProbeSetOptions({enabled: false});
  }
  return readAndConvert(probe, sequence, false);
}

/**
 * Evaluates `tokens` with the probe on and returns the query vectors each of them formed in every selected layer
 * (roped; the caller takes RoPE off with the positions), with flash attention on or off.
 */
export async function captureQueryVectors(
  sequence: LlamaContextSequence,
  tokens: Token[],
  options: AttentionProbeOptions = {}
): Promise<CapturedQueries[]> {
  const probe = probeOf(sequence.context);
  setOptions(probe, sequence, options);
  probe.dynsplitProbeReset();
  probe.dynsplitProbeSetOptions({
    enabled: true,
    observationRows: -1,
    observationFromPosition: -1,
    localDistantAllRows: false,
    captureQueries: true,
  });
  try {
    await sequence.evaluateWithoutGeneratingNewTokens(tokens);
  } finally {
    probe.dynsplitProbeSetOptions({enabled: false, captureQueries: false});
  }
  const readout = probe.dynsplitProbeRead();
  if (!readout.queries || readout.queries.length === 0)
    throw new Error(`the KV hook (${readout.version}, path ${readout.path}) returned no query vectors`);
  return readout.queries;
}

/**
 * Evaluates `tokens` with the hook computing the L2 norm of every new key in the graph (layers ≥ 1, as the key-norm
 * signal defines it), and returns their key-norm scores (− mean norm over KV heads and layers): the key-norm signal
 * without reading the sequence state back.
 */
export async function prefillMeasuringKeyNorms(sequence: LlamaContextSequence, tokens: Token[]): Promise<Float32Array> {
  const probe = probeOf(sequence.context);
  const offset = sequence.contextTokens.length;
  setOptions(probe, sequence, {layers: defaultKeyNormLayers(modelKvShape(sequence.model).nLayer)});
  probe.dynsplitProbeReset();
  probe.dynsplitProbeSetOptions({
    enabled: true,
    keyNorms: true,
    observationRows: 0,
    observationFromPosition: -1,
    localDistantAllRows: false,
  });
  try {
    await evaluateTokens(sequence, tokens);
  } finally {
    probe.dynsplitProbeSetOptions({enabled: false, keyNorms: false});
  }
  const readout = probe.dynsplitProbeRead();
  const scores = new Float32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const count = readout.keyNormCountByPos[offset + i] ?? 0;
    if (count === 0) throw new Error(`the KV hook measured no key norm for token ${offset + i}`);
    scores[i] = -readout.keyNormByPos[offset + i] / count;
  }
  return scores;
}

/**
 * Prefills `tokens` in one evaluation; the last `observationWindow` of them are the observation queries (SnapKV-style):
 * only the ubatch that holds them gets the hook's operations, for those rows. `dense: true` also returns
 * localMass/distantMass for every token (DD-Select), at the cost of a second q·Kᵀ over the prefill.
 */
export async function prefillWithAttentionProbe(
  sequence: LlamaContextSequence,
  tokens: Token[],
  options: AttentionProbeOptions & {observationWindow?: number; dense?: boolean} = {}
): Promise<AttentionMeasurement> {
  const probe = probeOf(sequence.context);
  const w = Math.max(1, Math.min(options.observationWindow ?? 32, tokens.length));
  setOptions(probe, sequence, options);
  probe.dynsplitProbeReset();
  probe.dynsplitProbeSetOptions({
    enabled: true,
    observationFromPosition: sequence.contextTokens.length + tokens.length - w,
    localDistantAllRows: options.dense === true,
  });
  try {
    await evaluateTokens(sequence, tokens);
  } finally {
    probe.dynsplitProbeSetOptions({enabled: false, observationFromPosition: -1, localDistantAllRows: false});
  }
  return readAndConvert(probe, sequence, options.dense === true);
}
