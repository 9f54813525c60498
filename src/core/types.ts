/**
 * Shared types of the core library. Everything here is plain data: token texts, Float32Array signals and
 * half-open token ranges, so the library runs the same in the worker, the CLI and the unit tests.
 */

/** A half-open range `[start, end)` of token positions in the sequence. */
export interface TokenRange {
  start: number;
  end: number;
}

/** How many tokens to keep: a fraction of the input in (0, 1], or an absolute count. */
/**
 * A share of the input or a token count. A share is floored at a usable context and capped at what the model
 * handles (core/sessionPlan) unless `exact`: benchmarks measure the share they name.
 */
export type Budget = {ratio: number; exact?: boolean} | {tokens: number};

/** How token scores are folded into one block score. */
export type BlockAggregate = "sum" | "mean" | "max";

/**
 * Per-token importance, all arrays aligned with the token list (index i = token i).
 * `tokenScores`: higher = more important to keep (attention mass received, −key norm, surprisal…).
 * `localMass`/`distantMass`: per token as a query, the attention mass it puts on its recent keys and on
 * older keys; only an attention probe provides them, and DD-Select uses them when present.
 */
export interface ImportanceSignal {
  kind: string;
  tokenScores: Float32Array;
  localMass?: Float32Array;
  distantMass?: Float32Array;
}

/** Input of every compression method. */
export interface CompressionInput {
  /** Text of each token (decoded piece), used to find delimiter candidates. */
  tokenTexts: readonly string[];
  /** Optional token ids (kept for callers; methods do not need them). */
  tokenIds?: ArrayLike<number>;
  /** Sequence position of each token; strictly increasing. Defaults to 0..n-1. Ranges are emitted in positions. */
  positions?: ArrayLike<number>;
  /** Importance signal; methods that need one fall back to structure when it is absent. */
  signal?: ImportanceSignal;
  /** How many tokens to keep in total, pinned tokens included. */
  budget: Budget;
  /** Tokens that must be kept (file headers, the question…), 1 = pinned. Counted against the budget. */
  pinned?: Uint8Array;
  /** Token indices where a new block must start (file starts). Blocks never cross them. */
  forcedStarts?: readonly number[];
}

/** Options every method understands. */
export interface CommonOptions {
  /** First tokens always kept (attention sinks; token 0 is never evicted). Default 4 (DEFAULT_SINK_TOKENS). */
  nSink?: number;
  /** Last tokens always kept (the recent window). Default 64 (DEFAULT_RECENT_WINDOW), at most a quarter of the budget. */
  recentWindow?: number;
}

/** One block of the block map the visualizer draws. */
export interface BlockInfo {
  /** Token indices `[start, end)` into the input. */
  start: number;
  end: number;
  /** Block score (aggregate of token scores); 0 for methods without a score. */
  score: number;
  /** How many of the block's tokens were kept. */
  keptTokens: number;
  /** Text of the token the block ends on (the chosen delimiter), or "" if it ended without one. */
  boundary: string;
}

/** Output of every compression method. */
export interface CompressionResult {
  method: string;
  /** 1 = keep, per input token. */
  keep: Uint8Array;
  keptTokens: number;
  totalTokens: number;
  /** Position ranges to erase from the KV cache: sorted, disjoint, merged, never containing the first position. */
  evict: TokenRange[];
  /** Position ranges kept (the complement), sorted and merged. */
  keepRanges: TokenRange[];
  /** Blocks the method formed (for token-level methods: runs of kept/evicted tokens). */
  blocks: BlockInfo[];
  /** DynSplit: what DD-Select's boundary weights were computed from (core/boundaryScores). */
  ddSelect?: DdSelectInput;
}

/**
 * What DD-Select ran on: the attention probe's local/distant masses (the method as the paper defines it), the
 * contrast of a per-token signal (key norm, surprisal, observation-window attention), or delimiter structure only.
 */
export type DdSelectInput = "attention" | "contrast-fallback" | "structure";

/** A compression method: one small class per method behind this interface (kvpress-style). */
export interface CompressionMethod {
  readonly name: MethodName;
  /** Whether the method reads `signal.tokenScores` (it still runs without one, on structure only). */
  readonly usesSignal: boolean;
  compress(input: CompressionInput): CompressionResult;
}

/** Every compression method, in the order pickers and the manifest list them (the benchmark's baselines too). */
export const METHOD_NAMES = ["dynsplit", "chunkkv", "snapkv", "streaming", "delimiter", "random", "full"] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

/** One line per method for pickers, settings and the visualizer; the class comment of each cites its paper. */
export const METHOD_DESCRIPTIONS: Record<MethodName, string> = {
  dynsplit: "DynSplit-KV: importance-aware semantic blocks",
  chunkkv: "ChunkKV: fixed 10-token chunks",
  snapkv: "SnapKV-like token-level top-k",
  streaming: "StreamingLLM: sinks + recent window",
  delimiter: "Rigid split at fixed delimiters",
  random: "Random chunks (sanity floor)",
  full: "No compression",
};

/** Methods the repository memory can cut its store with: whole blocks, semantic or fixed-size. */
export const MEMORY_METHODS = ["dynsplit", "chunkkv"] as const satisfies readonly MethodName[];
export function isMemoryMethod(name: string): name is (typeof MEMORY_METHODS)[number] {
  return (MEMORY_METHODS as readonly string[]).includes(name);
}

/** The methods the visualizer runs side by side with the current one. */
export const COMPARISON_METHODS = ["chunkkv", "streaming", "snapkv", "delimiter", "random"] as const satisfies readonly MethodName[];
