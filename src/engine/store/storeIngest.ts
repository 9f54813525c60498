/**
 * Reading files into the block store, once, query-agnostic. Files are packed into windows of `windowTokens` that
 * start from the same pinned prompt (BOS and the format's preamble); each window is prefilled in one go through a
 * scratch context, its KV state is read back once (every token scored once), and each file of the window becomes a
 * record: its tokens and lines, DynSplit blocks cut with the key-norm signal, one fixed-size key summary per block
 * and, for the `restore` placement, every token's K/V rows. A file longer than a window is read in several windows,
 * each restating its header; its blocks never cross a window boundary.
 */
import {existsSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import path from "node:path";
import {performance} from "node:perf_hooks";
import type {LlamaContext, LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import type {BlockSegmenter} from "../../core/blockSegmenter";
import type {RopeParams} from "../../core/rope";
import {blockKeySummaries, ropeTrigTable, SUMMARY_PARTS, type RopeTrigTable} from "./blockSummaries";
import type {PromptFormat} from "../session/promptFormat";
import {TokenTexts} from "../session/tokenTexts";
import {CancelledError} from "../session/cancelledError";
import {parseSeqState, type ParsedSeqState} from "../signals/kvStateParser";
import {defaultKeyNormLayers, keyNormScores} from "../signals/keyNormSignal";
import {digestKv, encodeRecord, encodeRecordParts, type FileRecord, type KvRowLayout} from "./fileRecord";
import type {KvFileLayout} from "./seqStateWriter";

export interface StoreIngestOptions {
  format: PromptFormat;
  segmenter: BlockSegmenter;
  /** Tokens per window (the scratch context's size). */
  windowTokens: number;
  /** Keep every token's K/V rows in its record. */
  storeKv: boolean;
  /** Cache layers whose mean keys summarise a block. */
  summaryLayers: number[];
  /** RoPE of the keys, to make summaries position-free; undefined: keys cannot be read, no summaries. */
  rope?: RopeParams;
  /** Whether the KV state can be parsed (a plain KV cache). */
  kvReadable: boolean;
  /** Whether key norms mean anything (not under QK-norm); otherwise blocks are cut without an importance signal. */
  keyNormSignal?: boolean;
  /** iSWA models: the sliding-window layers keep every token (core/modelCapability.ts). */
  swaFullCache?: boolean;
  /** KV heads per layer and channels per head of the cached keys. */
  nHeadKv: number;
  headDimK: number;
  threads?: number;
}

export interface DocumentToRead {
  path: string;
  content: string;
  contentSha: string;
  /** Record key (path and content). */
  key: string;
  firstLine?: number;
}

export interface ReadRecord {
  doc: DocumentToRead;
  record: FileRecord;
  /** The record file's bytes, in parts written back to back. */
  bytes: Uint8Array[];
  /** Each block's text (for the lexical index). */
  blockTexts: string[];
}

export interface StoreIngestProgress {
  filesRead: number;
  filesTotal: number;
  tokensRead: number;
  tokensTotal: number;
  /** Estimated time left, from the throughput so far. */
  etaMs?: number;
}

interface Piece {
  doc: number;
  /** Body token range of the file in this piece. */
  from: number;
  to: number;
  /** Index in the window's token list where the piece's header starts. */
  at: number;
}

interface PendingDoc {
  doc: DocumentToRead;
  header: Token[];
  body: Token[];
  lines: Int32Array;
  texts: string[];
  pieces: number;
  seen: number;
  scores: Float32Array;
  offsets: number[];
  /** Per piece, its blocks' summaries. */
  summaries: Float32Array[];
  positions: Int32Array;
  kv?: Uint8Array;
}

export class StoreIngestor {
  readonly promptIds: Token[];
  /** The prompt's own record (its kv rows when stored). */
  promptRecord!: ReadRecord;
  /** The KV layout of this model's state files, for the seqStateWriter. */
  fileLayout?: KvFileLayout;
  private readonly texts: TokenTexts;
  private readonly statePaths: [string, string];
  private kvRowLayout?: KvRowLayout;

  private constructor(
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    readonly sequence: LlamaContextSequence,
    readonly options: StoreIngestOptions
  ) {
    this.texts = new TokenTexts(model);
    this.promptIds = options.format.promptTokens(model);
    const base = path.join(
      existsSync("/dev/shm") ? "/dev/shm" : tmpdir(),
      `dynsplit-store-${process.pid}-${Math.random().toString(36).slice(2)}`
    );
    this.statePaths = [`${base}-a.bin`, `${base}-b.bin`];
  }

  static async create(model: LlamaModel, options: StoreIngestOptions): Promise<StoreIngestor> {
    const context = await model.createContext({
      contextSize: options.windowTokens,
      batchSize: Math.min(options.windowTokens, 512),
      threads: options.threads,
      swaFullCache: options.swaFullCache,
    });
    const ingestor = new StoreIngestor(model, context, context.getSequence(), options);
    try {
      await ingestor.start();
    } catch (err) {
      await context.dispose();
      throw err;
    }
    return ingestor;
  }

  get kvLayout(): KvRowLayout | undefined {
    return this.kvRowLayout;
  }

  private async start() {
    if (this.promptIds.length === 0) throw new Error("the prompt format gives an empty prompt: a context needs at least one sink token");
    await this.sequence.evaluateWithoutGeneratingNewTokens(this.promptIds);
    const state = this.options.kvReadable ? await this.readState(0) : undefined;
    if (state) {
      this.fileLayout = {
        nStream: state.nStream,
        stream: state.stream,
        vTrans: state.vTrans,
        layers: state.layers.map((l) => ({
          kType: l.kType,
          kRowBytes: l.kRowBytes,
          vType: l.vType ?? 1,
          vRowBytes: l.vRowBytes ?? 0,
          vElemBytes: state.vTrans ? (l.vRowBytes ?? 0) / (l.vRowElems ?? 1) : 0,
        })),
      };
      if (this.options.storeKv)
        this.kvRowLayout = {
          stride: state.layers.reduce((a, l) => a + l.kRowBytes + (l.vRowBytes ?? 0), 0),
          layers: this.fileLayout.layers.map(({kType, kRowBytes, vType, vRowBytes}) => ({kType, kRowBytes, vType, vRowBytes})),
        };
    }
    const n = this.promptIds.length;
    const record: FileRecord = {
      meta: {path: "", contentSha: "", headerTokens: n, bodyTokens: 0, blocks: 0, summaryDim: 0, kv: this.kvRowLayout},
      headerIds: Int32Array.from(this.promptIds),
      bodyIds: new Int32Array(0),
      lines: new Int32Array(0),
      offsets: new Int32Array(1),
      blockScores: new Float32Array(0),
      summaries: new Float32Array(0),
      positions: Int32Array.from({length: n}, (_, i) => i),
    };
    const kv = state && this.kvRowLayout ? packKvRows(state, 0, n, this.kvRowLayout) : undefined;
    this.promptRecord = {doc: {path: "", content: "", contentSha: "", key: ""}, record, bytes: [encodeRecord(record, kv)], blockTexts: []};
  }

  /** Floats per block summary: parts (mean, min, max) × summary layers × KV heads × head dim (0 when keys cannot be read). */
  get summaryDim(): number {
    if (!this.options.rope || !this.fileLayout) return 0;
    return SUMMARY_PARTS * this.options.summaryLayers.length * this.options.nHeadKv * this.options.headDimK;
  }

  /**
   * Reads `docs` into records, calling `onRecord` as each file is complete. Cancelling stops between windows; the
   * records already handed out are complete and valid.
   */
  async read(
    docs: readonly DocumentToRead[],
    onRecord: (r: ReadRecord) => Promise<void>,
    options: {onProgress?: (p: StoreIngestProgress) => void; signal?: AbortSignal} = {}
  ): Promise<{tokensRead: number; prefillMs: number; windows: number}> {
    const W = this.options.windowTokens - 1; // node-llama-cpp never fills the last cell
    const P = this.promptIds.length;
    const pending = docs.map((doc) => this.tokenizeDocument(doc));
    const tokensTotal = pending.reduce((a, d) => a + d.header.length + d.body.length, 0);
    let tokensRead = 0;
    let filesRead = 0;
    let prefillMs = 0;
    let windows = 0;
    const t0 = performance.now();
    const report = () => {
      const elapsed = performance.now() - t0;
      const etaMs = tokensRead > 0 ? (elapsed / tokensRead) * (tokensTotal - tokensRead) : undefined;
      options.onProgress?.({filesRead, filesTotal: docs.length, tokensRead, tokensTotal, etaMs});
    };
    // Pieces in order: a file that fits a window is one piece, a longer one is split.
    const pieces: Piece[] = [];
    for (let d = 0; d < pending.length; d++) {
      const p = pending[d];
      const room = W - P - p.header.length;
      if (room < 1) throw new Error(`the header of ${p.doc.path} does not fit a window of ${this.options.windowTokens} tokens`);
      for (let from = 0; from < p.body.length; from += room) {
        pieces.push({doc: d, from, to: Math.min(p.body.length, from + room), at: 0});
        p.pieces++;
      }
    }
    // Pipelined: while window k+1 prefills (native, off the JS thread), window k's state is parsed and its files
    // become records. Two state files alternate, so a dump never overwrites one still being read.
    let i = 0;
    let next = this.fillWindow(pieces, pending, i, W, P);
    i = next.end;
    let evaluating: Promise<void> | undefined = this.evaluateWindow(next.ids, (ms) => (prefillMs += ms));
    let slot = 0;
    while (evaluating) {
      await evaluating;
      if (options.signal?.aborted) throw new CancelledError();
      const window = next.window;
      windows++;
      const stateFile = this.statePaths[slot];
      slot ^= 1;
      if (this.options.kvReadable) await this.sequence.saveStateToFile(stateFile);
      const cells = this.sequence.contextTokens.length;
      await this.sequence.eraseContextTokenRanges([{start: P, end: cells}]);
      evaluating = undefined;
      if (i < pieces.length) {
        next = this.fillWindow(pieces, pending, i, W, P);
        i = next.end;
        evaluating = this.evaluateWindow(next.ids, (ms) => (prefillMs += ms));
      }
      try {
        // node-llama-cpp feeds the next window to llama.cpp batch by batch from this thread: yield between steps so a
        // batch is never kept waiting behind a long synchronous stretch here.
        await yieldToEventLoop();
        const state = this.options.kvReadable ? this.parseState(stateFile, P, cells) : undefined;
        for (const piece of window) {
          await yieldToEventLoop();
          const doc = pending[piece.doc];
          tokensRead += (doc.seen === 0 ? doc.header.length : 0) + piece.to - piece.from; // a restated header is not file content
          this.absorbPiece(doc, piece, state);
          if (doc.seen === doc.pieces) {
            await onRecord(await this.finish(doc));
            filesRead++;
          }
        }
      } catch (err) {
        await evaluating?.catch(() => undefined); // never leave a decode running on a context about to be disposed
        throw err;
      }
      report();
    }
    return {tokensRead, prefillMs, windows};
  }

  async dispose() {
    for (const f of this.statePaths) rmSync(f, {force: true});
    await this.context.dispose();
  }

  /** The pieces from `from` on that fit one window after the prompt (at least one). */
  private fillWindow(
    pieces: Piece[],
    pending: PendingDoc[],
    from: number,
    W: number,
    P: number
  ): {window: Piece[]; ids: Token[]; end: number} {
    const window: Piece[] = [];
    const ids: Token[] = [];
    let used = P;
    let i = from;
    while (i < pieces.length) {
      const piece = pieces[i];
      const doc = pending[piece.doc];
      const need = doc.header.length + piece.to - piece.from;
      if (used + need > W && window.length > 0) break;
      window.push({...piece, at: used});
      for (const t of doc.header) ids.push(t);
      for (let t = piece.from; t < piece.to; t++) ids.push(doc.body[t]);
      used += need;
      i++;
    }
    return {window, ids, end: i};
  }

  private async evaluateWindow(ids: Token[], addMs: (ms: number) => void): Promise<void> {
    const t = performance.now();
    await this.sequence.evaluateWithoutGeneratingNewTokens(ids);
    addMs(performance.now() - t);
  }

  private tokenizeDocument(doc: DocumentToRead): PendingDoc {
    const header = this.model.tokenize(this.options.format.fileHeader(doc.path));
    const body = this.model.tokenize(doc.content.endsWith("\n") ? doc.content : doc.content + "\n");
    const lines = new Int32Array(body.length);
    const texts: string[] = new Array(body.length);
    let line = doc.firstLine ?? 1;
    for (let t = 0; t < body.length; t++) {
      lines[t] = line;
      const text = this.texts.of(body[t]);
      texts[t] = text;
      for (let c = 0; c < text.length; c++) if (text.charCodeAt(c) === 10) line++;
    }
    const stride = this.kvRowLayout?.stride ?? 0;
    return {
      doc,
      header,
      body,
      lines,
      texts,
      pieces: 0,
      seen: 0,
      scores: new Float32Array(body.length),
      offsets: [0],
      summaries: [],
      positions: new Int32Array(header.length + body.length),
      kv: stride ? new Uint8Array((header.length + body.length) * stride) : undefined,
    };
  }

  /** Takes a piece's share of the window's state: key norms, positions, kv rows; cuts its blocks and summarises them. */
  private absorbPiece(doc: PendingDoc, piece: Piece, state: ParsedSeqState | undefined) {
    const h = doc.header.length;
    const bodyAt = piece.at + h; // window index of the piece's first body token
    const n = piece.to - piece.from;
    const first = doc.seen === 0;
    doc.seen++;
    if (first) for (let t = 0; t < h; t++) doc.positions[t] = piece.at + t;
    for (let t = 0; t < n; t++) doc.positions[h + piece.from + t] = bodyAt + t;
    let signal: {kind: string; tokenScores: Float32Array} | undefined;
    if (state) {
      if (this.options.keyNormSignal !== false) {
        const norms = keyNormScores(sliceRows(state, bodyAt, bodyAt + n), this.options.nHeadKv, defaultKeyNormLayers(state.nLayer));
        doc.scores.set(norms, piece.from);
        signal = {kind: "keyNorm", tokenScores: norms};
      }
      if (doc.kv && this.kvRowLayout) {
        if (first) copyKvRows(state, piece.at, piece.at + h, this.kvRowLayout, doc.kv, 0);
        copyKvRows(state, bodyAt, bodyAt + n, this.kvRowLayout, doc.kv, h + piece.from);
      }
    }
    const offsets = this.options.segmenter.segment(doc.texts.slice(piece.from, piece.to), signal);
    for (let b = 1; b < offsets.length; b++) doc.offsets.push(piece.from + offsets[b]);
    if (state && this.summaryDim > 0) doc.summaries.push(this.summarise(state, bodyAt, offsets));
  }

  private summarise(state: ParsedSeqState, bodyAt: number, offsets: Int32Array): Float32Array {
    this.trig ??= ropeTrigTable(this.options.rope!, this.options.windowTokens);
    return blockKeySummaries(state, bodyAt, offsets, {
      rope: this.options.rope!,
      nHeadKv: this.options.nHeadKv,
      headDim: this.options.headDimK,
      layers: this.options.summaryLayers,
      trig: this.trig,
    });
  }

  private trig?: RopeTrigTable;

  private async finish(doc: PendingDoc): Promise<ReadRecord> {
    const offsets = Int32Array.from(doc.offsets);
    const nBlocks = offsets.length - 1;
    const blockScores = new Float32Array(nBlocks);
    const blockTexts: string[] = [];
    for (let b = 0; b < nBlocks; b++) {
      let s = 0;
      for (let t = offsets[b]; t < offsets[b + 1]; t++) s += doc.scores[t];
      blockScores[b] = s / (offsets[b + 1] - offsets[b]);
      blockTexts.push(doc.texts.slice(offsets[b], offsets[b + 1]).join(""));
    }
    const record: FileRecord = {
      meta: {
        path: doc.doc.path,
        contentSha: doc.doc.contentSha,
        headerTokens: doc.header.length,
        bodyTokens: doc.body.length,
        blocks: nBlocks,
        summaryDim: this.summaryDim,
        kv: doc.kv ? this.kvRowLayout : undefined,
      },
      headerIds: Int32Array.from(doc.header),
      bodyIds: Int32Array.from(doc.body),
      lines: doc.lines,
      offsets,
      blockScores,
      summaries: concat(doc.summaries),
      positions: doc.positions,
    };
    const kvDigest = doc.kv ? await digestKv(doc.kv) : undefined;
    return {doc: doc.doc, record, bytes: encodeRecordParts(record, doc.kv, kvDigest), blockTexts};
  }

  /** Parses a window's saved state, decoding rows from `fromRow` on (the prompt's rows are not needed again). */
  private parseState(file: string, fromRow: number, cells: number): ParsedSeqState {
    const state = parseSeqState(readFileSync(file), {raw: this.options.storeKv, fromRow});
    if (state.cellCount !== cells) throw new Error(`internal: the state holds ${state.cellCount} cells for ${cells} tokens`);
    return state;
  }

  private async readState(fromRow: number): Promise<ParsedSeqState> {
    await this.sequence.saveStateToFile(this.statePaths[0]);
    return this.parseState(this.statePaths[0], fromRow, this.sequence.contextTokens.length);
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The window rows [from, to) of every layer, as a state the key-norm formula reads. */
function sliceRows(state: ParsedSeqState, from: number, to: number): ParsedSeqState {
  return {
    ...state,
    cellCount: to - from,
    layers: state.layers.map((l) => ({...l, K: l.K.length ? l.K.subarray(from * l.kRowElems, to * l.kRowElems) : l.K})),
  };
}

/** Rows [from, to) of a raw-parsed state as kv rows: per token, every layer's K row then every layer's V row. */
export function packKvRows(state: ParsedSeqState, from: number, to: number, layout: KvRowLayout): Uint8Array {
  const out = new Uint8Array((to - from) * layout.stride);
  copyKvRows(state, from, to, layout, out, 0);
  return out;
}

/** The same rows written straight into `out` from row `atRow` on (one copy, no intermediate buffer). */
function copyKvRows(state: ParsedSeqState, from: number, to: number, layout: KvRowLayout, out: Uint8Array, atRow: number): void {
  for (let t = from; t < to; t++) {
    let o = (atRow + t - from) * layout.stride;
    for (const l of state.layers) {
      out.set(l.kRaw!.subarray(t * l.kRowBytes, (t + 1) * l.kRowBytes), o);
      o += l.kRowBytes;
    }
    for (const l of state.layers) {
      const vb = l.vRowBytes!;
      out.set(l.vRaw!.subarray(t * vb, (t + 1) * vb), o);
      o += vb;
    }
  }
}
