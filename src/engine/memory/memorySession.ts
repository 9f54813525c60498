/**
 * Answering from the repository memory: for each question, every block of the whole repository is scored (BM25 over
 * block text, combined with key-summary similarity to the question's own keys), the best blocks within the budget are
 * laid out after the pinned prompt — a file's header before its blocks, each file's blocks in file order — and the
 * question is answered from that context. The workspace is never re-read: a question costs the budget, not the
 * repository. Two placements:
 * - `prefill` (exact): the layout's tokens are evaluated; a prefix equal to the previous layout is kept;
 * - `restore` (fast): the layout's K/V rows come from the store, keys re-rotated to their new positions.
 */
import {existsSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import path from "node:path";
import {performance} from "node:perf_hooks";
import type {LlamaContext, LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import type {Placement} from "../../core/answerModes";
import {combineStandardised, normaliseSegments, spreadToNext} from "../../core/blockScoring";
import {selectMemoryBlocks, type MemorySelection} from "../../core/memorySelection";
import {rotateRows, ropeThetas, type RopeParams} from "../../core/rope";
import {generateAnswer, nextTokenDistribution, type TurnOptions} from "../session/generateAnswer";
import type {PromptFormat} from "../session/promptFormat";
import {captureQueryVectors} from "../signals/attentionSignal";
import {parseSeqState} from "../signals/kvStateParser";
import type {BlockStore} from "../store/blockStore";
import type {DecodedRecord} from "../store/fileRecord";
import type {KvFileLayout} from "../store/seqStateWriter";
import {buildRestoredState, type KvRun} from "./kvPlacement";
import type {RepositoryIndex} from "./repositoryIndex";

/** How the question's scores are made: weights of the standardised parts, and the share a block passes to its successor. */
export interface MemoryScoring {
  /** Weight of BM25 over block text. Defaults to 1. */
  lexical?: number;
  /**
   * Weight of the cosine between the question's own keys and the blocks' key-box centres (a stock-binary proxy).
   * Defaults to 0: on the bundled model it selected the asked block in 0 of 40 questions.
   */
  keys?: number;
  /**
   * Weight of Quest's bound of the question's query vectors (attention probe) on the blocks' key boxes. Defaults to 0:
   * alone it answered 16 of 40, BM25 40 of 40, and adding it to BM25 changed 38–40 of 40 (docs/results/memory.md).
   */
  queries?: number;
  /** Share of a block's score its successor in the same file inherits. Defaults to 0.5. */
  spread?: number;
}

export interface MemorySessionOptions {
  /** Tokens of context for the prompt, headers and selected blocks. */
  budgetTokens: number;
  /** Room reserved for a question (longer questions take it from the blocks). */
  questionTokens: number;
  format: PromptFormat;
  placement: Placement;
  scoring?: MemoryScoring;
  order?: "relevance" | "repository";
  threads?: number;
  /** iSWA models: the sliding-window layers keep every token, so a placement can drop any range. */
  swaFullCache?: boolean;
  /** For the key similarity and the restore placement. */
  rope?: RopeParams;
  /** The attention probe is loaded: the question's query vectors can score the summaries. */
  probe: boolean;
  /** Query heads per layer. */
  nHead: number;
  nHeadKv: number;
  headDimK: number;
  summaryLayers: number[];
}

export interface SelectedFile {
  path: string;
  /** Block indices within the file. */
  blocks: number[];
  /** First and last line of each selected block. */
  lines: [number, number][];
  /** Header and block tokens of the file in the context. */
  tokens: number;
}

export interface MemoryAnswer {
  answer: string;
  answerTokens: number;
  questionTokens: number;
  stoppedBy: "stop" | "eos" | "maxTokens" | "cancelled";
  firstTokenMs?: number;
  totalMs: number;
  /** Tokens in the context when the question was evaluated (prompt, headers and blocks). */
  tokensKept: number;
  blocksSelected: number;
  /** Every block of the repository fit the budget. */
  whole: boolean;
  files: SelectedFile[];
  /** Which scores chose the blocks, e.g. "bm25+keys". */
  signal: string;
  placement: Placement;
  /** Tokens evaluated to place the blocks (0 with `restore`, the non-shared suffix with `prefill`). */
  tokensPrefilled: number;
  timings: {scoringMs: number; placeMs: number; decodeMs: number};
  /** With `showPrompt`: the context and question as the model read them, special tokens visible. */
  prompt?: string;
}

export class MemorySession {
  private readonly records = new Map<string, DecodedRecord>();
  private readonly statePath: string;
  private keyContext?: {context: LlamaContext; sequence: LlamaContextSequence};
  private readonly scoring: Required<MemoryScoring>;
  /** The live context's state-file layout (restore placement), read off its own state. */
  private fileLayout?: KvFileLayout;

  private constructor(
    readonly model: LlamaModel,
    readonly context: LlamaContext,
    readonly sequence: LlamaContextSequence,
    readonly store: BlockStore,
    public index: RepositoryIndex,
    readonly prompt: DecodedRecord,
    readonly options: MemorySessionOptions
  ) {
    this.statePath = path.join(
      existsSync("/dev/shm") ? "/dev/shm" : tmpdir(),
      `dynsplit-place-${process.pid}-${Math.random().toString(36).slice(2)}.bin`
    );
    const hasSummaries = index.summaryDim > 0 && options.rope != null;
    this.scoring = {
      lexical: options.scoring?.lexical ?? 1,
      keys: hasSummaries ? (options.scoring?.keys ?? 0) : 0,
      queries: hasSummaries && options.probe ? (options.scoring?.queries ?? 0) : 0,
      spread: options.scoring?.spread ?? 0.5,
    };
  }

  static async create(
    model: LlamaModel,
    store: BlockStore,
    index: RepositoryIndex,
    prompt: DecodedRecord,
    options: MemorySessionOptions
  ): Promise<MemorySession> {
    const contextSize = options.budgetTokens + options.questionTokens + options.format.maxAnswerTokens + 1;
    const context = await model.createContext({
      contextSize,
      batchSize: Math.min(contextSize, 512),
      threads: options.threads,
      swaFullCache: options.swaFullCache,
    });
    const session = new MemorySession(model, context, context.getSequence(), store, index, prompt, options);
    try {
      await session.sequence.evaluateWithoutGeneratingNewTokens(Array.from(prompt.headerIds) as Token[]);
      if (options.placement === "restore") session.fileLayout = await session.readFileLayout();
    } catch (err) {
      await context.dispose();
      throw err;
    }
    return session;
  }

  get contextSize(): number {
    return this.context.contextSize;
  }

  get signalLabel(): string {
    return (
      [this.scoring.lexical > 0 ? "bm25" : "", this.scoring.keys > 0 ? "keys" : "", this.scoring.queries > 0 ? "attention-queries" : ""]
        .filter(Boolean)
        .join("+") || "none"
    );
  }

  /** Swaps in a newer index of the same store (after an incremental ingest); records read before stay valid. */
  replaceIndex(index: RepositoryIndex) {
    this.index = index;
  }

  async ask(question: string, options: TurnOptions = {}): Promise<MemoryAnswer> {
    const t0 = performance.now();
    const format = this.options.format;
    const qTokens = format.questionTokens(this.model, question, options.history);
    const maxTokens = options.maxTokens ?? format.maxAnswerTokens;
    const blockBudget = this.blockBudget(qTokens.length, maxTokens);
    const scores = await this.scoreBlocks(options.query ?? question);
    const selection = selectMemoryBlocks(this.index.blocks, scores, {budgetTokens: blockBudget, order: this.options.order});
    const t1 = performance.now();
    const {tokens, prefilled} = await this.place(selection);
    const t2 = performance.now();
    let generated;
    let prompt: string | undefined;
    try {
      generated = await generateAnswer(this.sequence, this.model, qTokens, format, {...options, maxTokens});
      if (options.showPrompt) prompt = this.model.detokenize(this.sequence.contextTokens.slice(0, tokens + qTokens.length), true);
    } finally {
      const end = this.sequence.contextTokens.length;
      if (end > tokens) await this.sequence.eraseContextTokenRanges([{start: tokens, end}]);
    }
    const t3 = performance.now();
    return {
      answer: generated.answer,
      answerTokens: generated.answerTokens,
      questionTokens: qTokens.length,
      stoppedBy: generated.stoppedBy,
      firstTokenMs: generated.firstTokenAt != null ? generated.firstTokenAt - t0 : undefined,
      totalMs: t3 - t0,
      tokensKept: tokens,
      blocksSelected: selection.blocks.length,
      whole: selection.whole,
      files: this.describe(selection),
      signal: this.signalLabel,
      placement: this.options.placement,
      tokensPrefilled: prefilled,
      timings: {scoringMs: t1 - t0, placeMs: t2 - t1, decodeMs: t3 - t2},
      prompt,
    };
  }

  /** The next-token distribution after `text` (tokenized as is) on the current layout, which is left as it was. */
  async nextTokenDistribution(text: string): Promise<Map<number, number>> {
    return nextTokenDistribution(this.sequence, this.model.tokenize(text));
  }

  /** Selects and places the blocks for `question` without answering (for tests and the visualizer's preview). */
  async placeFor(question: string): Promise<{tokens: number; selection: MemorySelection}> {
    const qTokens = this.options.format.questionTokens(this.model, question);
    const blockBudget = this.blockBudget(qTokens.length, this.options.format.maxAnswerTokens);
    const selection = selectMemoryBlocks(this.index.blocks, await this.scoreBlocks(question), {
      budgetTokens: blockBudget,
      order: this.options.order,
    });
    const {tokens} = await this.place(selection);
    return {tokens, selection};
  }

  /** Tokens for headers and blocks: the budget after the prompt, less what a long question or answer takes from the reserve. */
  private blockBudget(questionTokens: number, answerTokens: number): number {
    const P = this.prompt.headerIds.length;
    // The context may be larger than asked (llama.cpp rounds it up); the budget is what was asked.
    const room = Math.min(this.options.budgetTokens, this.contextSize - 1 - questionTokens - answerTokens) - P;
    if (room < 0) throw new Error(`the question (${questionTokens} tokens) does not fit in a context of ${this.contextSize} tokens`);
    return room;
  }

  async dispose() {
    rmSync(this.statePath, {force: true});
    await this.keyContext?.context.dispose();
    await this.context.dispose();
  }

  // ---- scoring ----

  private async scoreBlocks(question: string): Promise<Float32Array> {
    const n = this.index.blockCount;
    const parts: {scores: Float32Array; weight: number}[] = [];
    if (this.scoring.lexical > 0) parts.push({scores: this.index.lexicalScores(question), weight: this.scoring.lexical});
    if (this.scoring.keys > 0) {
      const {queries, count} = await this.questionKeys(question);
      if (count > 0) parts.push({scores: this.index.keyScores(queries, count), weight: this.scoring.keys});
    }
    if (this.scoring.queries > 0) {
      const {queries, count} = await this.questionQueries(question);
      if (count > 0)
        parts.push({
          scores: this.index.queryScores(queries, count, this.options.summaryLayers.length, this.options.nHead),
          weight: this.scoring.queries,
        });
    }
    return spreadToNext(combineStandardised(parts, n), this.index.blocks.fileOf, this.scoring.spread);
  }

  /**
   * The question's own keys, position-free, in the summary layout: the question is evaluated after the prompt alone
   * in a small scratch context (so they do not depend on what the live context holds), its state read back once.
   */
  private async questionKeys(question: string): Promise<{queries: Float32Array; count: number}> {
    const rope = this.options.rope!;
    const ids = this.model.tokenize(question.trim());
    const P = this.prompt.headerIds.length;
    const q = ids.slice(0, this.options.questionTokens);
    if (q.length === 0) return {queries: new Float32Array(0), count: 0};
    const seq = await this.scratchSequence();
    await seq.evaluateWithoutGeneratingNewTokens([...Array.from(this.prompt.headerIds), ...q] as Token[]);
    await seq.saveStateToFile(this.statePath);
    const state = parseSeqState(readFileSync(this.statePath), {layers: this.options.summaryLayers, fromRow: P});
    const heads = this.options.nHeadKv;
    const hd = this.options.headDimK;
    const segments = this.options.summaryLayers.length * heads;
    const queries = new Float32Array(q.length * segments * hd);
    const thetas = ropeThetas(rope);
    this.options.summaryLayers.forEach((l, li) => {
      const layer = state.layers.find((x) => x.layer === l)!;
      const row = layer.kRowElems;
      const keys = Float32Array.from(layer.K.subarray(P * row, (P + q.length) * row));
      rotateRows(
        keys,
        row,
        heads,
        Float64Array.from({length: q.length}, (_, t) => -(P + t)),
        rope,
        thetas
      );
      for (let t = 0; t < q.length; t++) queries.set(keys.subarray(t * row, t * row + heads * hd), (t * segments + li * heads) * hd);
    });
    return {queries: normaliseSegments(queries, q.length, segments, hd), count: q.length};
  }

  /**
   * The question's query vectors from the attention probe, position-free, rows × summary layers × heads × d: the
   * question is evaluated after the prompt in the scratch context with the probe capturing Q.
   */
  private async questionQueries(question: string): Promise<{queries: Float32Array; count: number}> {
    const rope = this.options.rope!;
    const q = this.model.tokenize(question.trim()).slice(0, this.options.questionTokens);
    if (q.length === 0) return {queries: new Float32Array(0), count: 0};
    const seq = await this.scratchSequence();
    await seq.evaluateWithoutGeneratingNewTokens(Array.from(this.prompt.headerIds) as Token[]);
    const captured = await captureQueryVectors(seq, q, {layers: this.options.summaryLayers});
    const H = this.options.nHead;
    const hd = this.options.headDimK;
    const L = this.options.summaryLayers.length;
    const rows = q.length;
    const out = new Float32Array(rows * L * H * hd);
    const thetas = ropeThetas(rope);
    this.options.summaryLayers.forEach((l, li) => {
      const c = captured.find((x) => x.layer === l);
      if (!c || c.positions.length !== rows || c.headDim !== hd || c.nHead !== H)
        throw new Error(`internal: the probe captured ${c?.positions.length ?? 0} query rows of layer ${l} for ${rows} tokens`);
      const data = Float32Array.from(c.data);
      rotateRows(
        data,
        H * hd,
        H,
        Float64Array.from(c.positions, (p) => -p),
        rope,
        thetas
      );
      for (let r = 0; r < rows; r++) out.set(data.subarray(r * H * hd, (r + 1) * H * hd), (r * L + li) * H * hd);
    });
    return {queries: out, count: rows};
  }

  /** A small context of its own, emptied, for evaluating the question apart from the live layout. */
  private async scratchSequence(): Promise<LlamaContextSequence> {
    if (!this.keyContext) {
      const context = await this.model.createContext({
        contextSize: this.prompt.headerIds.length + this.options.questionTokens + 2,
        threads: this.options.threads,
        swaFullCache: this.options.swaFullCache,
      });
      this.keyContext = {context, sequence: context.getSequence()};
    }
    const seq = this.keyContext.sequence;
    if (seq.contextTokens.length > 0) await seq.eraseContextTokenRanges([{start: 0, end: seq.contextTokens.length}]);
    return seq;
  }

  // ---- placement ----

  private async place(selection: MemorySelection): Promise<{tokens: number; prefilled: number}> {
    const segments = await this.layoutSegments(selection);
    const tokens: number[] = Array.from(this.prompt.headerIds);
    for (const s of segments) for (let t = s.from; t < s.to; t++) tokens.push(s.ids[t]);
    if (this.options.placement === "prefill") return {tokens: tokens.length, prefilled: await this.prefill(tokens)};
    await this.restore(tokens, segments);
    return {tokens: tokens.length, prefilled: 0};
  }

  /** The layout after the prompt: per selected file its header, then its selected blocks (as runs of its tokens). */
  private async layoutSegments(selection: MemorySelection) {
    const out: {record: string; rec: DecodedRecord; ids: Int32Array; from: number; to: number; kvFrom: number}[] = [];
    let last = -1;
    for (const b of selection.blocks) {
      const f = this.index.blocks.fileOf[b];
      const file = this.index.files[f];
      const rec = await this.record(file.record);
      if (f !== last) {
        out.push({record: file.record, rec, ids: rec.headerIds, from: 0, to: rec.headerIds.length, kvFrom: 0});
        last = f;
      }
      const s = this.index.table.start[b];
      const e = this.index.table.end[b];
      const prev = out[out.length - 1];
      // Adjacent blocks of one file are one run (one read, one rotation delta pattern).
      if (prev.ids === rec.bodyIds && prev.to === s) prev.to = e;
      else out.push({record: file.record, rec, ids: rec.bodyIds, from: s, to: e, kvFrom: rec.headerIds.length + s});
    }
    return out;
  }

  private async record(key: string): Promise<DecodedRecord> {
    let rec = this.records.get(key);
    if (!rec) {
      rec = await this.store.readRecordBody(key);
      if (this.records.size > 512) this.records.delete(this.records.keys().next().value!);
      this.records.set(key, rec);
    }
    return rec;
  }

  /** Exact: keeps the longest prefix the live context shares with the layout, evaluates the rest. */
  private async prefill(tokens: number[]): Promise<number> {
    const live = this.sequence.contextTokens;
    let lcp = 0;
    while (lcp < live.length && lcp < tokens.length && live[lcp] === tokens[lcp]) lcp++;
    if (lcp < live.length) await this.sequence.eraseContextTokenRanges([{start: lcp, end: live.length}]);
    if (lcp < tokens.length) await this.sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(lcp) as Token[]);
    return tokens.length - lcp;
  }

  /** Fast: loads the layout's stored K/V rows, keys re-rotated to their new positions. */
  private async restore(tokens: number[], segments: Awaited<ReturnType<MemorySession["layoutSegments"]>>) {
    const rowLayout = this.prompt.meta.kv;
    const fileLayout = this.fileLayout;
    const rope = this.options.rope;
    if (!rowLayout || !fileLayout || !rope) throw new Error("internal: the restore placement needs stored kv rows and the model's RoPE");
    const runs: KvRun[] = [];
    const P = this.prompt.headerIds.length;
    runs.push({rows: await this.store.readKvRows(this.promptKey, this.prompt, 0, P), storedPositions: this.prompt.positions});
    for (const s of segments) {
      const len = s.to - s.from;
      runs.push({
        rows: await this.store.readKvRows(s.record, s.rec, s.kvFrom, s.kvFrom + len),
        storedPositions: s.rec.positions.subarray(s.kvFrom, s.kvFrom + len),
      });
    }
    writeFileSync(this.statePath, buildRestoredState(tokens, runs, rowLayout, fileLayout, rope, this.options.nHeadKv));
    await this.sequence.loadStateFromFile(this.statePath, {acceptRisk: true});
    if (this.sequence.contextTokens.length !== tokens.length)
      throw new Error(`internal: restored ${this.sequence.contextTokens.length} of ${tokens.length} tokens`);
  }

  /** The layout of this context's state files, from a state of the prompt alone; checked against the records' rows. */
  private async readFileLayout(): Promise<KvFileLayout> {
    await this.sequence.saveStateToFile(this.statePath);
    const state = parseSeqState(readFileSync(this.statePath), {fromRow: Number.MAX_SAFE_INTEGER}); // layout only, no rows decoded
    const layout: KvFileLayout = {
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
    const rows = this.prompt.meta.kv;
    const same =
      rows != null &&
      rows.layers.length === layout.layers.length &&
      rows.layers.every(
        (l, i) =>
          l.kType === layout.layers[i].kType &&
          l.kRowBytes === layout.layers[i].kRowBytes &&
          l.vType === layout.layers[i].vType &&
          l.vRowBytes === layout.layers[i].vRowBytes
      );
    if (!same) throw new Error("the stored K/V rows do not match this context's KV cache (another cache type?): the store must be rebuilt");
    return layout;
  }

  private get promptKey(): string {
    return this.store.manifest!.prompt.record;
  }

  private describe(selection: MemorySelection): SelectedFile[] {
    const out: SelectedFile[] = [];
    for (const b of selection.blocks) {
      const f = this.index.blocks.fileOf[b];
      const file = this.index.files[f];
      let entry = out[out.length - 1];
      if (!entry || entry.path !== file.path) out.push((entry = {path: file.path, blocks: [], lines: [], tokens: file.headerTokens}));
      entry.blocks.push(b - file.firstBlock);
      entry.lines.push([this.index.table.startLine[b], this.index.table.endLine[b]]);
      entry.tokens += this.index.blocks.tokens[b];
    }
    return out;
  }
}
