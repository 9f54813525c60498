/**
 * The importance signals as the compressed session uses them: one object per signal behind one interface (as
 * kvpress has one `score()` per press and node-llama-cpp one class per token predictor), chosen once when the
 * session is made. Each says how a chunk is evaluated (what it measures while prefilling) and how the kept tokens
 * are scored at a compression point.
 */
import type {LlamaContextSequence, Token} from "node-llama-cpp";
import type {SignalKind} from "../../core/signalNames";
import type {ImportanceSignal} from "../../core/types";
import {
  contextHasAttentionProbe,
  evaluateObservationWindow,
  prefillMeasuringKeyNorms,
  prefillWithAttentionProbe,
} from "../signals/attentionSignal";
import {computeKeyNormSignal} from "../signals/keyNormSignal";
import {prefillWithSurprisal} from "../signals/surprisalSignal";
import {queryOverlapBoost} from "./queryOverlap";
import type {TokenLedger} from "./tokenLedger";

/** What a chunk's prefill measured for its new tokens. */
export interface PrefillMeasurement {
  scores?: ArrayLike<number>;
  /** DD-Select's per-token local / distant attention masses (the probe's dense mode). */
  local?: ArrayLike<number>;
  distant?: ArrayLike<number>;
  /** Key-norm scores of the new tokens, when the KV hook measured them while prefilling. */
  keyNorms?: ArrayLike<number>;
}

export interface MeasuredSignal {
  signal: ImportanceSignal;
  /** What was used, for the summary (e.g. "keyNorm+query"). */
  label: string;
}

export interface SessionSignal {
  readonly kind: SignalKind;
  /** Evaluates `ids` into the sequence, measuring what this signal needs while it does. */
  prefill(sequence: LlamaContextSequence, ids: Token[], ledger: TokenLedger): Promise<PrefillMeasurement>;
  /** Scores every token the ledger holds; `question` is the observation window when the session is query-aware. */
  measure(sequence: LlamaContextSequence, ledger: TokenLedger, question: Token[] | undefined): Promise<MeasuredSignal>;
}

/** Queries per chunk that score the earlier tokens (query-agnostic attention); kvpress's SnapKV uses 64. */
export const DEFAULT_OBSERVATION_WINDOW = 32;

export interface SessionSignalOptions {
  /** Use the question as the observation window at every compression point (when one is known). */
  queryAware: boolean;
  /** Attention only: measure DD-Select's local/distant masses while prefilling (a second attention pass). */
  denseAttention?: boolean;
  /** Attention, query-agnostic: how many of each chunk's last queries score the tokens before them. Default 32. */
  observationWindow?: number;
}

export function createSessionSignal(kind: SignalKind, options: SessionSignalOptions): SessionSignal {
  switch (kind) {
    case "attention":
      return new AttentionSessionSignal(options);
    case "keyNorm":
      return new KeyNormSessionSignal(options);
    case "surprisal":
      return new SurprisalSessionSignal(options);
  }
}

/**
 * Observation-window attention read by the native probe. Query-agnostic (or dense), each chunk's last queries add
 * the attention they paid to every earlier token to a running sum (H2O-style); query-aware, the question itself is
 * the observation window at each compression point, so prefill needs no probe.
 */
class AttentionSessionSignal implements SessionSignal {
  readonly kind = "attention";
  constructor(private readonly options: SessionSignalOptions) {}

  private get probesPrefill(): boolean {
    return !this.options.queryAware || this.options.denseAttention === true;
  }

  async prefill(sequence: LlamaContextSequence, ids: Token[], ledger: TokenLedger): Promise<PrefillMeasurement> {
    if (!this.probesPrefill) {
      await sequence.evaluateWithoutGeneratingNewTokens(ids);
      return {};
    }
    const offset = ledger.length;
    const m = await prefillWithAttentionProbe(sequence, ids, {
      observationWindow: this.options.observationWindow ?? DEFAULT_OBSERVATION_WINDOW,
      dense: this.options.denseAttention === true,
    });
    for (let p = 0; p < offset; p++) ledger.prefillScores[p] += m.signal.tokenScores[p];
    const scores = m.signal.tokenScores.subarray(offset);
    if (!m.signal.localMass || !m.signal.distantMass) return {scores};
    return {scores, local: m.signal.localMass.subarray(offset), distant: m.signal.distantMass.subarray(offset)};
  }

  async measure(sequence: LlamaContextSequence, ledger: TokenLedger, question: Token[] | undefined): Promise<MeasuredSignal> {
    const n = ledger.length;
    let measured: MeasuredSignal;
    if (question && this.options.queryAware) {
      const m = await evaluateObservationWindow(sequence, question);
      await sequence.eraseContextTokenRanges([{start: n, end: sequence.contextTokens.length}]);
      measured = {signal: {kind: "attention", tokenScores: m.signal.tokenScores.slice(0, n)}, label: "attention+query"};
    } else measured = {signal: {kind: "attention", tokenScores: Float32Array.from(ledger.prefillScores)}, label: "attention"};
    // DD-Select's masses only when the probe measured every kept token as a query (dense mode).
    if (ledger.localMass.every(Number.isFinite) && ledger.distantMass.every(Number.isFinite)) {
      measured.signal.localMass = Float32Array.from(ledger.localMass);
      measured.signal.distantMass = Float32Array.from(ledger.distantMass);
    }
    return measured;
  }
}

/** Proxies know nothing of the question: when one is known, tokens it shares with the context are boosted. */
function withQuestion(
  measured: MeasuredSignal,
  ledger: TokenLedger,
  question: Token[] | undefined,
  options: SessionSignalOptions
): MeasuredSignal {
  if (!question || !options.queryAware) return measured;
  return {signal: queryOverlapBoost(measured.signal, ledger.ids, question), label: `${measured.label}+query`};
}

/**
 * Key norms of the new keys. With the KV hook they are computed in the graph as the keys enter the cache; on stock
 * binaries each token's key is read once from the sequence state, after the chunk that wrote it.
 */
class KeyNormSessionSignal implements SessionSignal {
  readonly kind = "keyNorm";
  constructor(private readonly options: SessionSignalOptions) {}

  async prefill(sequence: LlamaContextSequence, ids: Token[]): Promise<PrefillMeasurement> {
    if (contextHasAttentionProbe(sequence.context)) return {keyNorms: await prefillMeasuringKeyNorms(sequence, ids)};
    await sequence.evaluateWithoutGeneratingNewTokens(ids);
    return {};
  }

  async measure(sequence: LlamaContextSequence, ledger: TokenLedger, question: Token[] | undefined): Promise<MeasuredSignal> {
    const n = ledger.length;
    // Each token is scored once: only the keys appended since the last compression are read.
    const from = ledger.firstUnmeasuredKeyNorm();
    if (from < n) {
      const s = await computeKeyNormSignal(sequence, {fromRow: from});
      for (let t = from; t < n; t++) ledger.keyNorms[t] = s.tokenScores[t];
    }
    return withQuestion(
      {signal: {kind: "keyNorm", tokenScores: Float32Array.from(ledger.keyNorms)}, label: "keyNorm"},
      ledger,
      question,
      this.options
    );
  }
}

/** How surprising each token is to the model, measured while prefilling (where keys cannot be read). */
class SurprisalSessionSignal implements SessionSignal {
  readonly kind = "surprisal";
  constructor(private readonly options: SessionSignalOptions) {}

  async prefill(sequence: LlamaContextSequence, ids: Token[]): Promise<PrefillMeasurement> {
    const m = await prefillWithSurprisal(sequence, ids);
    return {scores: fillNaN(m.bitsOfInput)};
  }

  async measure(_sequence: LlamaContextSequence, ledger: TokenLedger, question: Token[] | undefined): Promise<MeasuredSignal> {
    return withQuestion(
      {signal: {kind: "surprisal", tokenScores: Float32Array.from(ledger.prefillScores)}, label: "surprisal"},
      ledger,
      question,
      this.options
    );
  }
}

/** A token the model could not score (the first one) gets the largest surprisal seen: it is kept, not dropped. */
function fillNaN(bits: Float64Array): Float64Array {
  let max = 0;
  for (const b of bits) if (Number.isFinite(b) && b > max) max = b;
  return bits.map((b) => (Number.isFinite(b) ? b : max));
}
