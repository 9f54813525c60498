import {performance} from "node:perf_hooks";
import type {LlamaContext, LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import {createMethod, type MethodOptions} from "../../core/methods/registry";
import {rangesLength} from "../../core/ranges";
import {kvBytesPerToken, kvGeometryFromGguf} from "../../core/kvMemory";
import type {CompressionMethod, CompressionResult, DdSelectInput, ImportanceSignal, MethodName, TokenRange} from "../../core/types";
import {BlockMapRecorder, type BlockRecord} from "./blockMapRecorder";
import type {PromptFormat} from "./promptFormat";
import {createSessionSignal, type SessionSignal} from "./sessionSignals";
import {TokenLedger, SOURCE_PROMPT} from "./tokenLedger";
import {TokenTexts} from "./tokenTexts";
import {generateAnswer, nextTokenDistribution, type GeneratedAnswer, type TurnOptions} from "./generateAnswer";
import {CancelledError} from "./cancelledError";
import type {IngestDocument, TokenizedDocument} from "./tokenizedDocument";
import type {SignalKind} from "../../core/signalNames";

/** Tokens per llama.cpp batch (n_batch). */
const BATCH_TOKENS = 512;
/** The smallest piece of a document prefilled on its own when the room before the next compression is nearly used up. */
const MIN_PIECE_TOKENS = 64;

export interface SessionOptions {
  method: MethodName;
  methodOptions?: MethodOptions;
  /** Which importance signal scores tokens: the attention probe (patched binary) or a proxy on stock binaries. */
  signal: SignalKind;
  /** Tokens kept in the KV cache after compression (the budget). */
  budgetTokens: number;
  /** Tokens prefilled between compression points. */
  chunkTokens: number;
  /** Room for the question and the answer, on top of budget + chunk. */
  reserveTokens: number;
  /** KV bytes per cached token (ModelInfo's figure); the GGUF formula when not given. */
  kvBytesPerToken?: number;
  /** Use the question as the observation window at every compression point (when one is known). */
  queryAware: boolean;
  /** DD-Select on attention local/distant masses (probe dense mode; costs a second attention pass). */
  denseAttention?: boolean;
  /** Query-agnostic attention: queries per chunk in the observation window (sessionSignals' default otherwise). */
  observationWindow?: number;
  format: PromptFormat;
}

export type {IngestDocument};

export interface IngestProgress {
  filesRead: number;
  filesTotal: number;
  tokensRead: number;
  tokensTotal: number;
  tokensKept: number;
  compressions: number;
  /** Estimated time left, from the throughput so far. */
  etaMs?: number;
}

export interface Timings {
  prefillMs: number;
  scoringMs: number;
  evictMs: number;
  decodeMs: number;
}

export interface MemoryReport {
  contextSize: number;
  kvBytesPerToken: number;
  /** KV bytes llama.cpp allocated (the whole context is allocated up front). */
  kvBytesAllocated: number;
  /** KV bytes a full cache would need to hold every token read. */
  kvBytesFullCache: number;
  /** KV bytes of the cells in use now. */
  kvBytesInUse: number;
  tokensRead: number;
  tokensKept: number;
}

export interface AnswerResult {
  answer: string;
  answerTokens: number;
  questionTokens: number;
  stoppedBy: "stop" | "eos" | "maxTokens" | "cancelled";
  /** From the start of the question to its first answer token (placement, prefill of the question included). */
  firstTokenMs?: number;
  timings: Timings;
  /** With `showPrompt`: the context and question as the model read them, special tokens visible. */
  prompt?: string;
}

export {CancelledError};

/**
 * One compressed KV sequence over a workspace: streams documents through a context allocated at
 * budget + chunk + reserve tokens, compressing with the chosen method whenever the next chunk would not fit,
 * then answers questions against what was kept. Generation is driven at the sequence level (never
 * LlamaChatSession, which would re-render and re-prefill evicted text).
 */
export class CompressedSession {
  readonly ledger = new TokenLedger();
  readonly timings: Timings = {prefillMs: 0, scoringMs: 0, evictMs: 0, decodeMs: 0};
  readonly blocks = new BlockMapRecorder();
  tokensRead = 0;
  compressions = 0;
  /** The signal actually used at the last compression (e.g. "keyNorm+query"). */
  signalUsed = "none";
  /** DynSplit: what DD-Select ran on at the last segmentation (attention masses, a per-token contrast, structure). */
  ddSelectUsed?: DdSelectInput;
  /** Set by an erasure that shifted positions: llama.cpp re-rotates the keys at the next decode, not before. */
  private shiftPending = false;
  private readonly method: CompressionMethod;
  private readonly signal: SessionSignal;
  private readonly texts: TokenTexts;
  private readonly bytesPerToken: number;

  private constructor(
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    readonly sequence: LlamaContextSequence,
    readonly options: SessionOptions
  ) {
    this.method = createMethod(options.method, options.methodOptions);
    this.signal = createSessionSignal(options.signal, {
      queryAware: options.queryAware,
      denseAttention: options.denseAttention,
      observationWindow: options.observationWindow,
    });
    this.texts = new TokenTexts(model);
    this.bytesPerToken = options.kvBytesPerToken ?? kvBytesPerToken(kvGeometryFromGguf(model.fileInfo.metadata));
  }

  static async create(
    model: LlamaModel,
    options: SessionOptions,
    contextOptions: {threads?: number; flashAttention?: boolean; swaFullCache?: boolean} = {},
    restoreFrom?: {stateFile: string; snapshot: SessionSnapshot}
  ) {
    const contextSize = options.budgetTokens + options.chunkTokens + options.reserveTokens;
    const context = await model.createContext({
      contextSize,
      // Chunks are evaluated in batches of 512: a batch as large as a chunk (half the budget) would size llama.cpp's
      // compute buffers by it (GiBs at a 10k budget) and slow every decode.
      batchSize: Math.min(contextSize, BATCH_TOKENS),
      threads: contextOptions.threads,
      flashAttention: contextOptions.flashAttention,
      swaFullCache: contextOptions.swaFullCache,
    });
    let session: CompressedSession;
    const sequence = context.getSequence({
      // A safety net only: if generation ever fills the context, evict with our method instead of the beginning.
      contextShift: {size: options.chunkTokens, strategy: ({size}) => session.evictForShift(size)},
    });
    session = new CompressedSession(model, context, sequence, options);
    try {
      if (restoreFrom) await session.restore(restoreFrom.stateFile, restoreFrom.snapshot);
      else await session.start();
    } catch (err) {
      await context.dispose();
      throw err;
    }
    return session;
  }

  get contextSize(): number {
    return this.context.contextSize;
  }

  private async start() {
    await this.prefill(this.options.format.promptTokens(this.model), {file: SOURCE_PROMPT, pinned: true});
  }

  /** Streams documents (tokenised once by tokenizeDocument) into the context; compresses whenever the next chunk would overflow the budget. */
  async ingest(
    documents: readonly TokenizedDocument[],
    options: {question?: string; onProgress?: (p: IngestProgress) => void; signal?: AbortSignal} = {}
  ): Promise<void> {
    const question = options.question ? this.model.tokenize(this.options.format.observation(options.question)) : undefined;
    const tokensTotal = documents.reduce((a, d) => a + d.ids.length, 0);
    const {budgetTokens, chunkTokens} = this.options;
    let filesRead = 0;
    const report = () =>
      options.onProgress?.({
        filesRead,
        filesTotal: documents.length,
        tokensRead: this.tokensRead,
        tokensTotal,
        tokensKept: this.ledger.length,
        compressions: this.compressions,
      });

    for (const doc of documents) {
      this.ledger.files.push({path: doc.path, tokens: doc.ids.length});
      const fileIndex = this.ledger.files.length - 1;
      for (let at = 0; at < doc.ids.length;) {
        if (options.signal?.aborted) throw new CancelledError();
        // Pieces fill the room left (files share a chunk), so that every compression frees a whole chunk: fewer
        // compressions for the same memory bound (budget + chunk). A sliver of room is not worth a decode.
        let room = budgetTokens + chunkTokens - this.ledger.length;
        if (room < Math.min(MIN_PIECE_TOKENS, doc.ids.length - at)) {
          await this.compress(budgetTokens, question);
          room = budgetTokens + chunkTokens - this.ledger.length;
        }
        const end = Math.min(doc.ids.length, at + Math.max(1, Math.min(room, chunkTokens)));
        if (at === 0) this.ledger.markFileStart(this.ledger.length);
        await this.prefill(doc.ids.slice(at, end), {
          file: fileIndex,
          lines: doc.lines.slice(at, end),
          pinned: false,
          headerEnd: doc.headerTokens - at,
        });
        this.tokensRead += end - at;
        at = end;
        report();
      }
      filesRead++;
      report();
    }
    if (this.ledger.length > budgetTokens) await this.compress(budgetTokens, question);
    else {
      const whole = this.method.compress(this.compressionInput({tokens: this.ledger.length}, undefined));
      this.ddSelectUsed ??= whole.ddSelect;
      this.blocks.setFinal(this.describeBlocks(whole));
    }
    report();
  }

  /** Answers a question against the compressed context, streaming text; the question and answer are removed after. */
  async ask(question: string, options: TurnOptions = {}): Promise<AnswerResult> {
    const askStart = performance.now();
    const start = {...this.timings};
    const format = this.options.format;
    const qTokens = format.questionTokens(this.model, question, options.history);
    const maxTokens = options.maxTokens ?? format.maxAnswerTokens;
    const base = this.ledger.length;
    const room = this.contextSize - 1 - base;
    if (qTokens.length + maxTokens > room) {
      const target = this.contextSize - 1 - qTokens.length - maxTokens;
      if (target < 1) throw new Error(`the question (${qTokens.length} tokens) does not fit in a context of ${this.contextSize} tokens`);
      await this.compress(target, this.options.queryAware ? qTokens : undefined);
    }
    const keptBefore = this.ledger.length;
    const t0 = performance.now();
    let generated: GeneratedAnswer;
    let prompt: string | undefined;
    try {
      generated = await generateAnswer(this.sequence, this.model, qTokens, format, {...options, maxTokens});
      this.shiftPending = false; // the question's decode applied any pending shift
      if (options.showPrompt) prompt = this.model.detokenize(this.sequence.contextTokens.slice(0, keptBefore + qTokens.length), true);
    } finally {
      this.timings.decodeMs += performance.now() - t0;
      // Remove the question and answer so the next question meets the same compressed workspace.
      const end = this.sequence.contextTokens.length;
      if (end > keptBefore) await this.sequence.eraseContextTokenRanges([{start: keptBefore, end}]);
      this.ledger.truncate(keptBefore);
    }
    this.checkInSync();
    return {
      answer: generated.answer,
      answerTokens: generated.answerTokens,
      questionTokens: qTokens.length,
      stoppedBy: generated.stoppedBy,
      firstTokenMs: generated.firstTokenAt != null ? generated.firstTokenAt - askStart : undefined,
      timings: diffTimings(this.timings, start),
      prompt,
    };
  }

  /** The next-token distribution after `text` (tokenized as is) on what the context holds; the text is erased after. */
  async nextTokenDistribution(text: string): Promise<Map<number, number>> {
    return nextTokenDistribution(this.sequence, this.model.tokenize(text));
  }

  memory(): MemoryReport {
    const promptTokens = this.ledger.pinned.reduce((a, p, i) => a + (p && this.ledger.fileIndex[i] === SOURCE_PROMPT ? 1 : 0), 0);
    return {
      contextSize: this.contextSize,
      kvBytesPerToken: this.bytesPerToken,
      kvBytesAllocated: this.contextSize * this.bytesPerToken,
      kvBytesFullCache: (this.tokensRead + promptTokens) * this.bytesPerToken,
      kvBytesInUse: this.ledger.length * this.bytesPerToken,
      tokensRead: this.tokensRead,
      tokensKept: this.ledger.length,
    };
  }

  blockMap(): BlockRecord[] {
    return this.blocks.all();
  }

  /**
   * Applies a pending K-shift. After `eraseContextTokenRanges`, positions are updated at once but keys are re-rotated
   * lazily, at the next decode; a state saved before that holds keys rotated for their old positions. Decoding one
   * token (then erasing it from the end, which shifts nothing) applies the shift.
   */
  async settle() {
    if (!this.shiftPending) return;
    const n = this.sequence.contextTokens.length;
    await this.sequence.evaluateWithoutGeneratingNewTokens([this.ledger.ids[n - 1] as Token]);
    await this.sequence.eraseContextTokenRanges([{start: n, end: n + 1}]);
    this.shiftPending = false;
    this.checkInSync();
  }

  async dispose() {
    await this.context.dispose();
  }

  // ---- internals ----

  private async restore(stateFile: string, snapshot: SessionSnapshot) {
    await this.sequence.loadStateFromFile(stateFile, {acceptRisk: true});
    const restored = TokenLedger.fromJSON(snapshot.ledger);
    const tokens = this.sequence.contextTokens;
    if (tokens.length !== restored.length || tokens.some((t, i) => t !== restored.ids[i]))
      throw new Error("the cached KV state does not match its token ledger");
    Object.assign(this.ledger, restored); // all of its arrays, files included
    this.blocks.restore(snapshot.blocks);
    this.tokensRead = snapshot.tokensRead;
    this.compressions = snapshot.compressions;
    this.signalUsed = snapshot.signalUsed;
    this.ddSelectUsed = snapshot.ddSelectUsed;
  }

  /** Evaluates tokens into the sequence, measuring the prefill-time signal the session uses. */
  private async prefill(ids: Token[], meta: {file: number; lines?: number[]; pinned: boolean; headerEnd?: number}) {
    if (ids.length === 0) return;
    const t0 = performance.now();
    const {scores, local, distant, keyNorms} = await this.signal.prefill(this.sequence, ids, this.ledger);
    this.shiftPending = false; // the decode applied it
    this.timings.prefillMs += performance.now() - t0;
    const pinned = meta.pinned;
    const headerEnd = meta.headerEnd ?? 0;
    const texts = ids.map((t) => this.texts.of(t));
    if (pinned || headerEnd <= 0)
      this.ledger.append(ids, texts, {file: meta.file, lines: meta.lines, pinned, scores, local, distant, keyNorms});
    else {
      // The file header is pinned so the model always knows which file a kept block came from.
      const h = Math.min(headerEnd, ids.length);
      const part = <T>(a: ArrayLike<T> | undefined, s: number, e: number) => (a ? (Array.prototype.slice.call(a, s, e) as T[]) : undefined);
      this.ledger.append(ids.slice(0, h), texts.slice(0, h), {
        file: meta.file,
        lines: meta.lines?.slice(0, h),
        pinned: true,
        scores: part(scores, 0, h),
        local: part(local, 0, h),
        distant: part(distant, 0, h),
        keyNorms: part(keyNorms, 0, h),
      });
      this.ledger.append(ids.slice(h), texts.slice(h), {
        file: meta.file,
        lines: meta.lines?.slice(h),
        pinned: false,
        scores: part(scores, h, ids.length),
        local: part(local, h, ids.length),
        distant: part(distant, h, ids.length),
        keyNorms: part(keyNorms, h, ids.length),
      });
    }
    this.checkInSync();
  }

  /** Scores the current tokens with the session's signal (query-aware when a question is given). */
  private async measureSignal(question: Token[] | undefined): Promise<ImportanceSignal | undefined> {
    if (!this.method.usesSignal) {
      this.signalUsed = "none";
      return undefined;
    }
    const t0 = performance.now();
    const {signal, label} = await this.signal.measure(this.sequence, this.ledger, question);
    this.signalUsed = label;
    this.timings.scoringMs += performance.now() - t0;
    return signal;
  }

  private compressionInput(budget: {tokens: number}, signal: ImportanceSignal | undefined) {
    return {
      tokenTexts: this.ledger.texts,
      tokenIds: this.ledger.ids,
      signal,
      budget,
      pinned: this.ledger.pinnedMask(),
      forcedStarts: this.ledger.fileStarts,
    };
  }

  /** Compresses the sequence down to `keep` tokens and erases the rest from the live KV cache. */
  private async compress(keep: number, question: Token[] | undefined): Promise<CompressionResult | undefined> {
    if (this.ledger.length <= keep) return undefined;
    const signal = await this.measureSignal(question);
    const t0 = performance.now();
    const result = this.method.compress(this.compressionInput({tokens: keep}, signal));
    this.ddSelectUsed = result.ddSelect;
    const described = this.describeBlocks(result);
    this.blocks.recordEvicted(described);
    this.blocks.setFinal(described.filter((b) => b.keptTokens > 0));
    await this.eraseRanges(result.evict);
    this.timings.evictMs += performance.now() - t0;
    this.compressions++;
    return result;
  }

  private async eraseRanges(ranges: TokenRange[]) {
    if (ranges.length === 0) return;
    if (ranges[0].start === 0) throw new Error("internal: refusing to erase position 0 (it would re-prefill everything)");
    await this.sequence.eraseContextTokenRanges(ranges);
    this.ledger.erase(ranges);
    this.shiftPending ||= ranges[ranges.length - 1].end < this.ledger.length + rangesLength(ranges);
    this.checkInSync();
  }

  /** Context-shift strategy: evict with our method (synchronously, on the last signal-free structure). */
  private evictForShift(size: number) {
    const keep = Math.max(1, this.ledger.length - size);
    const result = this.method.compress(this.compressionInput({tokens: keep}, undefined));
    this.ledger.erase(result.evict);
    this.compressions++;
    return result.evict;
  }

  private describeBlocks(result: CompressionResult) {
    return result.blocks.map((b) => {
      let file = SOURCE_PROMPT;
      let startLine = 0;
      let endLine = 0;
      for (let t = b.start; t < b.end; t++) {
        const f = this.ledger.fileIndex[t];
        if (f === SOURCE_PROMPT || this.ledger.pinned[t]) continue;
        if (file === SOURCE_PROMPT) file = f;
        if (f !== file) continue;
        const line = this.ledger.lines[t];
        if (!startLine || line < startLine) startLine = line;
        if (line > endLine) endLine = line;
      }
      return {
        file: file === SOURCE_PROMPT ? "" : this.ledger.files[file].path,
        startLine,
        endLine,
        tokens: b.end - b.start,
        keptTokens: b.keptTokens,
        score: b.score,
        boundary: b.boundary,
        text: this.ledger.texts.slice(b.start, b.end).join(""),
      };
    });
  }

  private checkInSync() {
    const n = this.sequence.contextTokens.length;
    if (n !== this.ledger.length) throw new Error(`internal: KV sequence holds ${n} tokens but the ledger ${this.ledger.length}`);
  }
}

function diffTimings(now: Timings, before: Timings): Timings {
  return {
    prefillMs: now.prefillMs - before.prefillMs,
    scoringMs: now.scoringMs - before.scoringMs,
    evictMs: now.evictMs - before.evictMs,
    decodeMs: now.decodeMs - before.decodeMs,
  };
}

/** What the persistent cache stores next to the KV state file to bring a session back without re-reading. */
export interface SessionSnapshot {
  ledger: ReturnType<TokenLedger["toJSON"]>;
  blocks: {evicted: BlockRecord[]; final: BlockRecord[]};
  tokensRead: number;
  compressions: number;
  signalUsed: string;
  ddSelectUsed?: DdSelectInput;
  timings: Timings;
}

export function snapshotSession(session: CompressedSession): SessionSnapshot {
  return {
    ledger: session.ledger.toJSON(),
    blocks: session.blocks.toJSON(),
    tokensRead: session.tokensRead,
    compressions: session.compressions,
    signalUsed: session.signalUsed,
    ddSelectUsed: session.ddSelectUsed,
    timings: {...session.timings},
  };
}
