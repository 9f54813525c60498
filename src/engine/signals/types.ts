/**
 * The one output type of every importance signal the engine measures inside (or next to) the model.
 * All arrays are indexed by TOKEN INDEX of `sequence.contextTokens` (= KV position, since node-llama-cpp
 * keeps positions contiguous after erasures), and their length is the number of tokens in the sequence.
 */
import type {SignalKind} from "../../core/signalNames";

export type {SignalKind};

export interface TokenSignal {
  kind: SignalKind;
  /** Higher = more important to keep. */
  tokenScores: Float32Array;
  /** Per token as a query: attention mass on its recent `r` keys (attention only; present only when every token
   *  was measured as a query, i.e. the probe ran in dense mode — the core's prefix sums need all of them). */
  localMass?: Float32Array;
  /** Per token as a query: attention mass on older keys, sinks excluded (attention only; present only when every token
   *  was measured as a query, i.e. the probe ran in dense mode — the core's prefix sums need all of them). */
  distantMass?: Float32Array;
  /** Time spent computing the signal. */
  elapsedMs: number;
}
