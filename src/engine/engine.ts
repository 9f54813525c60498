import {createHash} from "node:crypto";
import {closeSync, existsSync, openSync, promises as fs, readdirSync, readFileSync, readSync, statSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {performance} from "node:perf_hooks";
import {fileURLToPath} from "node:url";
import type {Llama, LlamaModel, Token} from "node-llama-cpp";
import {ANSWER_FROM, type AnswerFrom, type Placement} from "../core/answerModes";
import {createSegmenter, type SegmentationName} from "../core/blockSegmenter";
import {DynSplitInputError} from "../core/errors";
import {
  modelCapability,
  type CapabilityMode,
  type CapabilityVerdict,
  type ModelCapability,
  type ModelTraits,
} from "../core/modelCapability";
import {KV_CACHE_GGML, KV_CACHE_TYPES, kvBytesPerToken, kvGeometryFromGguf, type KvCacheType} from "../core/kvMemory";
import type {MethodOptions} from "../core/methods/registry";
import {isMemoryMethod, type Budget, type DdSelectInput, type MethodName} from "../core/types";
import {ggufMetadataView} from "../core/ggufMetadata";
import {planBudget, planStream} from "../core/sessionPlan";
import {tokenizeDocument} from "./session/tokenizedDocument";
import type {SignalKind, SignalSetting} from "../core/signalNames";
import {PersistentCache} from "./cache/persistentCache";
import {buildRepositoryMemory, type MemoryBuild} from "./memory/repositoryMemory";
import {MemorySession, type MemoryAnswer, type MemoryScoring, type SelectedFile} from "./memory/memorySession";
import {resolveModel, type ModelSpec} from "./model/modelSource";
import {modelRope, type ModelRope} from "./model/modelRope";
import {measuredKvBytesPerToken} from "./model/measuredKvBytes";
import {modelTraits} from "./model/modelTraits";
import {
  CompressedSession,
  snapshotSession,
  type AnswerResult,
  type IngestDocument,
  type IngestProgress,
  type MemoryReport,
  type Timings,
} from "./session/compressedSession";
import {CancelledError} from "./session/cancelledError";
import type {GenerateOptions, TurnOptions} from "./session/generateAnswer";
import type {BlockRecord} from "./session/blockMapRecorder";
import {cardFormat, plainFormat, type PromptFormat, type Turn} from "./session/promptFormat";
import {chatFormat} from "./session/chatFormat";
import {TokenTexts} from "./session/tokenTexts";
import {hookBuildsPresent, loadLlama, type LoadedLlama} from "./signals/loadLlama";
import {modelKvShape} from "./signals/modelKvShape";
import {STORE_VERSION, type StoreIdentity} from "./store/blockStore";
import {RECORD_VERSION, RecordCorruptError} from "./store/fileRecord";
import type {StoreIngestOptions} from "./store/storeIngest";
import {scanWorkspace, type SkipReason, type SkippedFile} from "./workspace/scanWorkspace";

export {ANSWER_FROM, type AnswerFrom};

/** The block store's default size cap over all workspaces (whole workspaces are evicted, least recently used first). */
export const DEFAULT_STORE_MAX_BYTES = 4 * 2 ** 30;
/** Tokens per store ingest window: the context every block's keys are computed in. */
export const DEFAULT_WINDOW_TOKENS = 2048;
/** Context reserved for a question (a longer one takes room from the blocks): the card's one-line form, or prose. */
const CARD_QUESTION_TOKENS = 32;
const PLAIN_QUESTION_TOKENS = 256;

export interface EngineConfig {
  packageRoot: string;
  /** Where compressed workspaces, block stores and downloaded models are kept. */
  cacheDir: string;
  /** CPU threads for contexts. Defaults to cores − 1 (at least 1). */
  threads?: number;
  /** KV-hook binary (the attention signal): "auto" uses it when built, "on" requires it, "off" uses the stock binary. Defaults to "auto". */
  probe?: "auto" | "on" | "off";
  /** GPU offload: "auto", "off", or a number of layers; the KV hook runs wherever the layers are. Defaults to "auto". */
  gpuLayers?: "auto" | "off" | number;
  /** The longest answer, in tokens; it sizes the room reserved in every context. Defaults to 1,024 (the bundled
   *  model: its card's few tokens). */
  answerTokens?: number;
  /** Element type of the cached keys: F16 (default) or block-quantized Q8_0 / Q4_0 (smaller, and K-shift then
   *  re-quantizes moved keys). Values stay F16: a quantized V cache needs flash attention, which dense probing turns off. */
  kvCacheType?: KvCacheType;
}

export interface ModelInfo {
  path: string;
  name: string;
  fileSize: number;
  kvBytesPerToken: number;
  trainContextSize: number;
  /** The longest context the model is known to answer well in: its card's measured `contextTokens`, else its training context. */
  handlesContextTokens: number;
  binary: LoadedLlama["binary"];
  hasProbe: boolean;
  /** Where the model runs: the GPU backend llama.cpp loaded ("cpu" when none), and how many layers are offloaded. */
  backend: "cpu" | "cuda" | "vulkan" | "metal";
  gpuLayers: number;
  /** Why the KV hook is not in use though it was asked for ("auto"), e.g. a GPU machine with a CPU-only hook build. */
  hookNote?: string;
  format: string;
  /** Why the `restore` placement is unavailable for this model (undefined: it is available). */
  restoreUnsupported?: string;
  /** What this project can do with the model's architecture, decided at load (core/modelCapability.ts). */
  capability: CapabilityVerdict;
  /** What was adapted or why compression is refused; empty when supported. */
  capabilityReason: string;
  architecture: string;
  /** The bundled model: trained here for one skill (planted facts), not an assistant. */
  demo: boolean;
  kvCacheType: KvCacheType;
}

export interface IngestRequest {
  /** Workspace folders to read… */
  roots?: string[];
  /** …or documents given directly (a file, a selection, eval cases). */
  documents?: IngestDocument[];
  /** Globs read (none: every text file). */
  include?: string[];
  /** Globs never read, on top of .gitignore and the built-in excludes. */
  exclude?: string[];
  /** Larger files are skipped. Defaults to 256 KiB. */
  maxFileBytes?: number;
  /** How questions are answered. Defaults to "memory". */
  answerFrom?: AnswerFrom;
  /** Defaults to "dynsplit". */
  method?: MethodName;
  /** Each method's options, with the defaults its class declares. */
  methodOptions?: MethodOptions;
  /** A share (floored and capped by core/sessionPlan unless exact) or a token count. */
  budget: Budget;
  /** Defaults to "auto": the probe when built, else key norms, else surprisal. */
  signal?: SignalSetting;
  /** once/reread: tokens between compressions. Defaults to a quarter of the budget (at least 64). */
  chunkTokens?: number;
  /** reread: the question that steers this read (query-aware); later questions re-read with their own. */
  question?: string;
  /** once/reread: use the question as the observation window. Defaults to true when a question is given. */
  queryAware?: boolean;
  /** once/reread, attention signal without the question: queries per chunk that score the tokens before them
   *  (default 32; SnapKV as kvpress runs it uses 64). */
  observationWindow?: number;
  /** Use and fill the persistent cache (once/reread) or the block store (memory). Defaults to true. */
  useCache?: boolean;
  /** memory: how the store cuts files into blocks. Defaults to "dynsplit" ("chunkkv" for method chunkkv). */
  segmentation?: SegmentationName;
  /** memory: how selected blocks enter the context. Defaults to "restore" where the model allows it, else "prefill". */
  placement?: Placement;
  /** memory: size cap of all block stores. Defaults to DEFAULT_STORE_MAX_BYTES. */
  storeMaxBytes?: number;
  /** memory: weights of the question-time scores. */
  scoring?: MemoryScoring;
  /** memory: order of the file groups in the context. Defaults to "relevance" (best file nearest the question). */
  order?: "relevance" | "repository";
}

/** One file of the workspace, aggregated (the visualizer asks for a file's blocks on demand). */
export interface FileMapEntry {
  path: string;
  tokens: number;
  blocks: number;
  /** Tokens of the file in the context (once/reread: kept after compression; memory: selected for the last answer). */
  keptTokens: number;
  keptBlocks: number;
}

export interface StoreSummary {
  dir: string;
  bytes: number;
  /** No file was prefilled: everything came from the store. */
  fromStore: boolean;
  filesRead: number;
  filesDeleted: number;
  blocks: number;
  segmentation: SegmentationName;
  placement: Placement;
  kv: boolean;
  windows: number;
  /** Other workspaces' stores removed to stay within the cap. */
  evicted: number;
  /** Scanning and planning, reading (prefill included), building the table and lexical index, writing them. */
  phasesMs: {scan: number; read: number; index: number; commit: number};
}

export interface IngestSummary {
  answerFrom: AnswerFrom;
  method: MethodName;
  signal: string;
  /** DynSplit: what DD-Select's boundaries were computed from (memory: when the store cut its blocks). */
  ddSelect?: DdSelectInput;
  budgetTokens: number;
  /** Tokens prefilled from files by this call (memory: 0 for an unchanged workspace). */
  tokensRead: number;
  /** Tokens in the workspace (all files, headers included). */
  tokensTotal: number;
  /** once/reread: tokens left in the compressed context; memory: the most a question's context holds. */
  tokensKept: number;
  files: number;
  skipped: SkippedFile[];
  skippedByReason: Partial<Record<SkipReason, number>>;
  memory: MemoryReport;
  /** once/reread: the block map (evicted blocks without their text); memory: empty, see fileMap and fileBlocks(). */
  blocks: BlockRecord[];
  fileMap: FileMapEntry[];
  compressions: number;
  timings: Timings;
  ingestMs: number;
  fromCache: boolean;
  store?: StoreSummary;
  /** Set when more tokens stay in the context than the model handles well (ModelInfo.handlesContextTokens). */
  beyondModelContext?: {tokensKept: number; modelContextTokens: number};
}

export interface AskOptions extends GenerateOptions {
  /** Ask within the engine's conversation: earlier turns stay in the context and this one joins them. */
  conversation?: boolean;
}

export interface AskSummary extends AnswerResult {
  answerFrom: AnswerFrom;
  /** DynSplit: what DD-Select ran on for the context this answer read. */
  ddSelect?: DdSelectInput;
  /** Within a conversation: this turn's number (1 for the first), and how many of the oldest turns were dropped
   *  to keep the conversation within half the budget. */
  turn?: number;
  turnsDropped?: number;
  /** From the question to its first answer token, re-reading (reread) or placing blocks (memory) included. */
  firstTokenMs?: number;
  totalMs: number;
  tokensKept: number;
  /** Tokens prefilled for this answer (reread: the whole workspace; memory: the placed blocks' non-shared suffix). */
  tokensPrefilled: number;
  blocksSelected: number;
  signal: string;
  /** memory: the blocks the question selected, per file. */
  selection?: SelectedFile[];
  references: BlockRecord[];
}

type Live =
  | {mode: "memory"; session: MemorySession; build: MemoryBuild; request: IngestRequest; summary: IngestSummary; last?: MemoryAnswer}
  | {mode: "reread" | "once"; session: CompressedSession; request: IngestRequest; summary: IngestSummary; steeredBy?: string};

/**
 * The engine behind the CLI and the worker: one llama binary, one model, one live workspace at a time.
 * Everything node-llama-cpp lives here; the core library decides what to keep or select.
 */
export class Engine {
  private loaded?: LoadedLlama;
  private model?: LlamaModel;
  private info?: ModelInfo;
  private format!: PromptFormat; // set with the model
  private rope: ModelRope = {ok: false, reason: "no model"};
  private traits?: ModelTraits;
  private capability: ModelCapability = modelCapability({
    architecture: "none",
    recurrent: false,
    hybrid: false,
    encoder: false,
    multiAxisRope: false,
    qkNorm: false,
    mla: false,
  });
  private fingerprint = "";
  private live?: Live;
  /** The conversation over the loaded workspace (reset by setConversation and by loading another workspace). */
  private conversation: {workspace: string; turns: Turn[]; asked: number} = {workspace: "", turns: [], asked: 0};
  /** Block stores of requests that asked for no persistent cache: a folder removed with the engine. */
  private scratchStores?: string;
  readonly cache: PersistentCache;

  constructor(readonly config: EngineConfig) {
    this.cache = new PersistentCache(path.join(config.cacheDir, "workspaces"));
  }

  get modelInfo(): ModelInfo | undefined {
    return this.info;
  }

  get ingestSummary(): IngestSummary | undefined {
    return this.live?.summary;
  }

  get storeRoot(): string {
    return path.join(this.config.cacheDir, "store");
  }

  async loadModel(
    spec?: ModelSpec,
    options: {onDownloadProgress?: (done: number, total: number) => void; signal?: AbortSignal} = {}
  ): Promise<ModelInfo> {
    const resolved = await resolveModel(spec, {
      packageRoot: this.config.packageRoot,
      downloadDir: path.join(this.config.cacheDir, "models"),
      ...options,
    });
    const llama = await this.llama();
    await this.unloadModel();
    const layers = this.config.gpuLayers ?? "auto";
    const kvType = this.config.kvCacheType ?? "f16";
    if (!KV_CACHE_TYPES.includes(kvType))
      throw new DynSplitInputError(`unknown KV cache type "${kvType}"; choose one of ${KV_CACHE_TYPES.join(", ")}`);
    // node-llama-cpp's model-level default reaches every context this engine creates (ingest, memory, stream, probes).
    this.model = await llama.loadModel({
      modelPath: resolved.path,
      gpuLayers: llama.gpu === false || layers === "off" ? 0 : layers,
      experimentalDefaultContextKvCacheKeyType: KV_CACHE_GGML[kvType],
    });
    // The bundled model keeps its trained card; an instruct model gets its own chat template; others a plain layout.
    this.format = resolved.card
      ? cardFormat(resolved.card)
      : (chatFormat(this.model, this.config.answerTokens) ?? plainFormat(this.model, this.config.answerTokens));
    const traits: ModelTraits = {...modelTraits(this.model), quantizedKeys: kvType !== "f16" ? kvType : undefined};
    this.capability = modelCapability(traits);
    this.traits = traits;
    this.rope = modelRope(this.model);
    this.fingerprint = modelFingerprint(resolved.path);
    const md = this.model.fileInfo.metadata;
    this.info = {
      path: resolved.path,
      name: String(ggufMetadataView(md).general?.name ?? path.basename(resolved.path)),
      fileSize: resolved.fileSize,
      kvBytesPerToken: await this.kvBytesPerTokenOf(md),
      trainContextSize: this.model.trainContextSize,
      handlesContextTokens: resolved.card?.contextTokens ?? this.model.trainContextSize,
      binary: this.loaded!.binary,
      hasProbe: this.loaded!.hasProbe,
      // where the layers run: a GPU backend with no usable device (0 layers offloaded) runs everything on the CPU
      backend: llama.gpu === false || this.model.gpuLayers === 0 ? "cpu" : llama.gpu,
      gpuLayers: this.model.gpuLayers,
      hookNote: this.hookNote,
      format: this.format.name,
      restoreUnsupported: !this.rope.ok
        ? this.rope.reason
        : kvType !== "f16"
          ? `keys quantized to ${kvType} cannot be re-rotated exactly (the store re-prefills its blocks)`
          : !this.kvReadable()
            ? "the model's KV state is not a plain KV cache"
            : undefined,
      capability: this.capability.verdict,
      capabilityReason: this.capability.reason,
      architecture: traits.architecture,
      demo: resolved.card != null,
      kvCacheType: kvType,
    };
    return this.info;
  }

  /**
   * Reads a workspace (or documents) so questions can be asked. A failed or cancelled ingest leaves the previous
   * workspace loaded and usable.
   */
  async ingest(
    request: IngestRequest,
    options: {onProgress?: (p: IngestProgress) => void; signal?: AbortSignal} = {}
  ): Promise<IngestSummary> {
    this.requireModel();
    const mode = request.answerFrom ?? "memory";
    if (!ANSWER_FROM.includes(mode)) throw new DynSplitInputError(`unknown answer mode "${mode}"; choose one of ${ANSWER_FROM.join(", ")}`);
    const live =
      mode === "memory" && request.method !== "full"
        ? await this.openMemory(request, options)
        : await this.openCompressed({...request, answerFrom: mode === "memory" ? "once" : mode}, options);
    const previous = this.live;
    this.live = live;
    const workspace = workspaceKeyOf(request);
    if (workspace !== this.conversation.workspace) this.conversation = {workspace, turns: [], asked: 0};
    if (previous && previous.session !== live.session) await previous.session.dispose();
    return live.summary;
  }

  /** Starts a new conversation over the same workspace (no turns), or resumes one (after a worker restart). */
  setConversation(turns: readonly Turn[] = []) {
    this.conversation = {...this.conversation, turns: turns.map((t) => ({question: t.question, answer: t.answer})), asked: turns.length};
  }

  /** The turns a follow-up sees now. */
  get conversationTurns(): readonly Turn[] {
    return this.conversation.turns;
  }

  async ask(question: string, options: AskOptions = {}): Promise<AskSummary> {
    if (!options.conversation || !this.format.conversational) return this.askTurn(question, options);
    const dropped = this.fitConversation();
    const turns = this.conversation.turns;
    const last = turns[turns.length - 1];
    // A follow-up ("and where is it used?") selects blocks with the question it follows.
    const summary = await this.askTurn(question, {...options, history: turns, query: last ? `${last.question}\n${question}` : question});
    // A stopped or empty answer is not a turn (templates drop an empty assistant message).
    if (summary.stoppedBy !== "cancelled" && summary.answer) this.conversation.turns.push({question, answer: summary.answer});
    return {...summary, turn: ++this.conversation.asked, turnsDropped: dropped};
  }

  /** Drops the oldest turns until the conversation takes at most half the budget (at least 128 tokens, for a
   *  workspace smaller than its budget); returns how many went. */
  private fitConversation(): number {
    const live = this.live;
    if (!live) return 0;
    const limit = Math.floor(Math.max(live.summary.budgetTokens, 256) / 2);
    let dropped = 0;
    while (
      this.conversation.turns.length > 0 &&
      this.format.questionTokens(this.requireModel(), "", this.conversation.turns).length > limit
    ) {
      this.conversation.turns.shift();
      dropped++;
    }
    return dropped;
  }

  private async askTurn(question: string, options: TurnOptions = {}, repaired = false): Promise<AskSummary> {
    const live = this.live;
    if (!live) throw new Error("no workspace is loaded: load the workspace into context first");
    const t0 = performance.now();
    if (live.mode === "memory") {
      let a: MemoryAnswer;
      try {
        a = await live.session.ask(question, options);
      } catch (err) {
        if (!(err instanceof RecordCorruptError) || !err.recordKey || repaired) throw err;
        // A record went bad on disk: it is dropped, the workspace re-read (only that file is read again), and the
        // question answered once more from the rebuilt store.
        await live.build.store.discardRecord(err.recordKey);
        await this.ingest({...live.request}, {signal: options.signal});
        return this.askTurn(question, options, true);
      }
      live.last = a;
      const references = await this.memoryReferences(live, a, question);
      return {
        answerFrom: "memory",
        answer: a.answer,
        answerTokens: a.answerTokens,
        questionTokens: a.questionTokens,
        stoppedBy: a.stoppedBy,
        firstTokenMs: a.firstTokenMs,
        totalMs: a.totalMs,
        tokensKept: a.tokensKept,
        tokensPrefilled: a.tokensPrefilled,
        blocksSelected: a.blocksSelected,
        signal: a.signal,
        selection: a.files,
        timings: {prefillMs: a.timings.placeMs, scoringMs: a.timings.scoringMs, evictMs: 0, decodeMs: a.timings.decodeMs},
        prompt: a.prompt,
        references,
      };
    }
    let prefilled = 0;
    if (live.mode === "reread" && live.steeredBy !== question) {
      // Query-aware re-read: the whole workspace again, this question steering what is kept.
      const next = await this.openCompressed({...live.request, question, queryAware: true}, {signal: options.signal});
      if (this.live === live) {
        this.live = next;
        await live.session.dispose();
      }
      prefilled = next.summary.tokensRead;
      return this.finishCompressedAsk(next, question, options, t0, prefilled);
    }
    return this.finishCompressedAsk(live, question, options, t0, prefilled);
  }

  /**
   * The model's next-token distribution after `text`, on the context a question `question` gets (memory: its selected
   * blocks, placed; once/reread: the compressed context). For tests that check two paths give the same model state.
   */
  async nextTokenDistribution(question: string, text: string): Promise<Map<number, number>> {
    const live = this.live;
    if (!live) throw new Error("no workspace is loaded");
    if (live.mode === "memory") await live.session.placeFor(question);
    return live.session.nextTokenDistribution(text);
  }

  /** Tokens `documents` take in a context, file headers included, exactly as an ingest counts them (benchmarks size
   *  their inputs by it). */
  documentTokens(documents: readonly IngestDocument[]): number {
    const model = this.requireModel();
    const texts = new TokenTexts(model);
    return documents.reduce((a, d) => a + tokenizeDocument(model, this.format, texts, d).ids.length, 0);
  }

  /**
   * Benchmark baseline: plain prefill of `documents` (header and content, as the store reads them) in windows of
   * `windowTokens` on a fresh context — BOS, then up to window − 2 tokens, erased after each — in tokens per second.
   */
  async plainPrefillTokPerS(documents: readonly IngestDocument[], windowTokens: number): Promise<number> {
    const model = this.requireModel();
    const ids: Token[] = [];
    for (const d of documents) ids.push(...model.tokenize(this.format.fileHeader(d.path)), ...model.tokenize(d.content));
    const context = await model.createContext({
      contextSize: windowTokens,
      batchSize: Math.min(windowTokens, 512),
      threads: this.threads(),
      swaFullCache: this.capability.swaFullCache,
    });
    try {
      const seq = context.getSequence();
      const bos = model.tokens.bos;
      const prompt = bos != null && this.format.bos ? [bos] : [ids[0]];
      await seq.evaluateWithoutGeneratingNewTokens(prompt);
      const t0 = performance.now();
      for (let i = 0; i < ids.length; i += windowTokens - 2) {
        await seq.evaluateWithoutGeneratingNewTokens(ids.slice(i, i + windowTokens - 2));
        await seq.eraseContextTokenRanges([{start: prompt.length, end: seq.contextTokens.length}]);
      }
      return ids.length / ((performance.now() - t0) / 1000);
    } finally {
      await context.dispose();
    }
  }

  /** Every block of one file, for the visualizer (memory: selected = in the last answer's context). */
  async fileBlocks(file: string): Promise<BlockRecord[]> {
    const live = this.live;
    if (!live) return [];
    if (live.mode !== "memory") return live.session.blockMap().filter((b) => b.file === file);
    const index = live.build.index;
    const f = index.files.findIndex((x) => x.path === file);
    if (f < 0) return [];
    const selected = new Set(live.last?.files.find((x) => x.path === file)?.blocks ?? []);
    const meta = index.files[f];
    const out: BlockRecord[] = [];
    for (let b = 0; b < meta.blocks; b++) {
      const g = meta.firstBlock + b;
      const tokens = index.table.end[g] - index.table.start[g];
      out.push({
        file,
        startLine: index.table.startLine[g],
        endLine: index.table.endLine[g],
        tokens,
        keptTokens: selected.has(b) ? tokens : 0,
        score: index.table.score[g],
        boundary: "",
        text: "",
      });
    }
    return out;
  }

  /** Deletes the persistent cache and every block store (the live workspace stays loaded until cleared). */
  async clearCaches() {
    await this.cache.clear();
    for (const name of await fs.readdir(this.storeRoot).catch(() => [] as string[])) {
      if (this.live?.mode === "memory" && path.join(this.storeRoot, name) === this.live.build.store.dir) continue;
      await fs.rm(path.join(this.storeRoot, name), {recursive: true, force: true});
    }
  }

  async clear() {
    const live = this.live;
    this.live = undefined;
    await live?.session.dispose();
  }

  async dispose() {
    await this.clear();
    if (this.scratchStores) await fs.rm(this.scratchStores, {recursive: true, force: true});
    await this.unloadModel();
    await this.loaded?.llama.dispose();
    this.loaded = undefined;
  }

  // ---- repository memory ----

  private async openMemory(
    request: IngestRequest,
    options: {onProgress?: (p: IngestProgress) => void; signal?: AbortSignal}
  ): Promise<Live> {
    const model = this.requireModel();
    this.checkCapability("memory");
    const t0 = performance.now();
    const method = request.method ?? "dynsplit";
    const segmentation: SegmentationName = request.segmentation ?? (method === "chunkkv" ? "chunkkv" : "dynsplit");
    if (!isMemoryMethod(method) && request.segmentation == null)
      throw new DynSplitInputError(
        `the ${method} method has no repository-memory form: answer with --answer-from once or reread, or choose --segmentation`
      );
    const placement = this.resolvePlacement(request.placement);
    const segmenter = createSegmenter(segmentation, request.methodOptions);
    const shape = modelKvShape(model);
    const geometry = kvGeometryFromGguf(model.fileInfo.metadata);
    const ingest: StoreIngestOptions = {
      format: this.format,
      segmenter,
      windowTokens: Math.min(DEFAULT_WINDOW_TOKENS, Math.max(256, this.info!.handlesContextTokens)),
      storeKv: placement === "restore",
      summaryLayers: summaryLayers(shape.nLayer),
      rope: this.rope.ok ? this.rope.params : undefined,
      kvReadable: this.kvReadable(),
      keyNormSignal: this.capability.keyNormInformative,
      swaFullCache: this.capability.swaFullCache,
      nHeadKv: shape.nHeadKv,
      headDimK: geometry.headDimK,
      threads: this.threads(),
    };
    const identity: StoreIdentity = {
      storeVersion: STORE_VERSION,
      recordVersion: RECORD_VERSION,
      model: {fingerprint: this.fingerprint, name: this.info!.name},
      runtime: runtimeVersions(this.loaded!.binary),
      format: `${this.format.name}\n${this.format.preamble}\n${this.format.fileHeader("a/b.ts")}`,
      segmentation: {name: segmentation, options: segmenter.options},
      windowTokens: ingest.windowTokens,
      kv: ingest.storeKv,
      kvCacheType: this.info!.kvCacheType,
      summaryLayers: ingest.summaryLayers,
      workspace: workspaceKeyOf(request),
    };
    const storeRoot = request.useCache === false ? await this.scratchStoreRoot() : this.storeRoot;
    const build = await buildRepositoryMemory(
      model,
      this.format,
      {
        roots: request.roots,
        documents: request.documents,
        include: request.include,
        exclude: request.exclude,
        maxFileBytes: request.maxFileBytes,
      },
      {
        storeRoot,
        identity,
        ingest,
        storeMaxBytes: request.storeMaxBytes ?? DEFAULT_STORE_MAX_BYTES,
        signal: options.signal,
        onProgress: (p) =>
          options.onProgress?.({
            filesRead: p.filesRead,
            filesTotal: p.filesTotal,
            tokensRead: p.tokensRead,
            tokensTotal: p.tokensTotal,
            tokensKept: 0,
            compressions: 0,
            etaMs: p.etaMs,
          }),
      }
    );
    const index = build.index;
    const tokensTotal = index.files.reduce((a, f) => a + f.headerTokens + f.bodyTokens, 0) + build.prompt.headerIds.length;
    const questionTokens = this.format.name === "card" ? CARD_QUESTION_TOKENS : PLAIN_QUESTION_TOKENS;
    const budgetTokens = planBudget(request.budget, tokensTotal, {
      handlesContextTokens: this.info!.handlesContextTokens,
      maxAnswerTokens: this.format.maxAnswerTokens,
    });
    const session = await MemorySession.create(model, build.store, index, build.prompt, {
      budgetTokens,
      questionTokens,
      format: this.format,
      placement,
      scoring: request.scoring,
      order: request.order,
      threads: this.threads(),
      swaFullCache: this.capability.swaFullCache,
      rope: ingest.rope,
      probe: this.loaded!.hasProbe,
      nHead: shape.nHead,
      nHeadKv: shape.nHeadKv,
      headDimK: geometry.headDimK,
      summaryLayers: ingest.summaryLayers,
    });
    const bytesPerToken = this.info!.kvBytesPerToken;
    const summary: IngestSummary = {
      answerFrom: "memory",
      method: segmentation === "chunkkv" ? "chunkkv" : "dynsplit",
      signal: session.signalLabel,
      // The store cuts blocks once per file, on the key norms of that read: DD-Select's per-token contrast form.
      ddSelect: segmentation === "dynsplit" ? (this.capability.keyNormInformative ? "contrast-fallback" : "structure") : undefined,
      budgetTokens,
      tokensRead: build.tokensRead,
      tokensTotal,
      tokensKept: Math.min(budgetTokens, tokensTotal),
      files: index.files.length,
      skipped: build.skipped,
      skippedByReason: build.skippedByReason,
      memory: {
        contextSize: session.contextSize,
        kvBytesPerToken: bytesPerToken,
        kvBytesAllocated: session.contextSize * bytesPerToken,
        kvBytesFullCache: tokensTotal * bytesPerToken,
        kvBytesInUse: build.prompt.headerIds.length * bytesPerToken,
        tokensRead: build.tokensRead,
        tokensKept: Math.min(budgetTokens, tokensTotal),
      },
      blocks: [],
      fileMap: index.files.map((f) => ({
        path: f.path,
        tokens: f.headerTokens + f.bodyTokens,
        blocks: f.blocks,
        keptTokens: 0,
        keptBlocks: 0,
      })),
      compressions: 0,
      timings: {prefillMs: build.prefillMs, scoringMs: 0, evictMs: 0, decodeMs: 0},
      ingestMs: performance.now() - t0,
      fromCache: build.tokensRead === 0,
      store: {
        dir: build.store.dir,
        bytes: build.storeBytes,
        fromStore: build.tokensRead === 0,
        filesRead: build.filesRead,
        filesDeleted: build.filesDeleted,
        blocks: index.blockCount,
        segmentation,
        placement,
        kv: ingest.storeKv,
        windows: build.windows,
        evicted: build.evicted.length,
        phasesMs: build.phasesMs,
      },
    };
    this.flagBeyondContext(summary, budgetTokens);
    return {mode: "memory", session, build, request, summary};
  }

  private async scratchStoreRoot(): Promise<string> {
    this.scratchStores ??= await fs.mkdtemp(path.join(os.tmpdir(), "dynsplit-store-"));
    return this.scratchStores;
  }

  private resolvePlacement(requested: Placement | undefined): Placement {
    const unsupported = this.info!.restoreUnsupported;
    if (requested === "restore" && unsupported)
      throw new DynSplitInputError(`the restore placement is not available for this model: ${unsupported}; use --placement prefill`);
    return requested ?? (unsupported ? "prefill" : "restore");
  }

  private async memoryReferences(live: Extract<Live, {mode: "memory"}>, a: MemoryAnswer, question: string): Promise<BlockRecord[]> {
    const index = live.build.index;
    const texts = new TokenTexts(this.requireModel());
    const blocks: BlockRecord[] = [];
    for (const f of a.files) {
      const fi = index.files.findIndex((x) => x.path === f.path);
      const meta = index.files[fi];
      const rec = await live.build.store.readRecordBody(meta.record);
      for (const b of f.blocks) {
        const g = meta.firstBlock + b;
        let text = "";
        for (let t = index.table.start[g]; t < index.table.end[g]; t++) text += texts.of(rec.bodyIds[t] as Token);
        const tokens = index.table.end[g] - index.table.start[g];
        blocks.push({
          file: f.path,
          startLine: index.table.startLine[g],
          endLine: index.table.endLine[g],
          tokens,
          keptTokens: tokens,
          score: index.table.score[g],
          boundary: "",
          text,
        });
      }
    }
    return pickReferences(blocks, question, a.answer);
  }

  // ---- once / reread: the compressed stream ----

  private async openCompressed(
    request: IngestRequest,
    options: {onProgress?: (p: IngestProgress) => void; signal?: AbortSignal}
  ): Promise<Extract<Live, {mode: "reread" | "once"}>> {
    const model = this.requireModel();
    const t0 = performance.now();
    const mode = request.answerFrom === "reread" ? "reread" : "once";
    const method = request.method ?? "dynsplit";
    if (method !== "full") this.checkCapability("compressed");
    let documents = request.documents;
    let skipped: SkippedFile[] = [];
    let skippedByReason: Partial<Record<SkipReason, number>> = {};
    let contentHash: string;
    if (!documents) {
      const scan = await scanWorkspace({
        roots: request.roots ?? [],
        include: request.include,
        exclude: request.exclude,
        maxFileBytes: request.maxFileBytes,
        signal: options.signal,
      });
      documents = scan.files.map((f) => ({path: f.relPath, content: f.content!})); // no `known`: every file was read
      skipped = scan.skipped;
      skippedByReason = scan.skippedByReason;
      contentHash = scan.contentHash;
    } else contentHash = PersistentCache.key({docs: documents});
    if (documents.length === 0)
      throw new DynSplitInputError("nothing to read: no text files in the workspace (all were skipped or excluded)");

    const signal = this.resolveSignal(request.signal ?? "auto");
    // Each document is tokenised once: the plan counts the tokens the session then streams.
    const texts = new TokenTexts(model);
    const tokenized = documents.map((d) => tokenizeDocument(model, this.format, texts, d));
    const question = request.question;
    const queryAware = request.queryAware ?? question != null;
    const plan = planStream({
      budget: request.budget,
      documentTokens: tokenized.reduce((a, d) => a + d.ids.length, 0),
      headerTokens: tokenized.reduce((a, d) => a + d.headerTokens, 0),
      promptTokens: this.format.promptTokens(model).length,
      files: documents.length,
      nSink: request.methodOptions?.nSink,
      recentWindow: request.methodOptions?.recentWindow,
      chunkTokens: request.chunkTokens,
      questionTokens: question ? model.tokenize(this.format.observation(question)).length : undefined,
      maxAnswerTokens: this.format.maxAnswerTokens,
      handlesContextTokens: this.info!.handlesContextTokens,
      keepsEverything: method === "full",
    });
    const {budgetTokens, chunkTokens, reserveTokens} = plan;
    const methodOptions = {...request.methodOptions, recentWindow: plan.recentWindow, nSink: plan.nSink};
    const sessionOptions = {
      method,
      methodOptions,
      signal,
      budgetTokens,
      chunkTokens,
      reserveTokens,
      queryAware,
      format: this.format,
      denseAttention: signal === "attention" && method === "dynsplit",
      observationWindow: request.observationWindow,
      kvBytesPerToken: this.info!.kvBytesPerToken,
    };

    const key = PersistentCache.key({
      model: this.fingerprint,
      method,
      methodOptions,
      signal,
      budgetTokens,
      chunkTokens,
      reserveTokens,
      question: queryAware ? question : undefined,
      observationWindow: request.observationWindow,
      contentHash,
      binary: this.info?.binary,
      kvCacheType: this.info?.kvCacheType,
    });
    const useCache = request.useCache !== false;
    const cached = useCache ? await this.cache.load(key) : undefined;
    let session: CompressedSession | undefined;
    let fromCache = false;
    if (cached) {
      try {
        session = await CompressedSession.create(model, sessionOptions, this.contextOptions(sessionOptions.denseAttention), cached);
        fromCache = true;
      } catch {
        session = undefined; // unusable entry: read the workspace again
      }
    }
    if (!session) {
      session = await CompressedSession.create(model, sessionOptions, this.contextOptions(sessionOptions.denseAttention));
      try {
        await session.ingest(tokenized, {question, onProgress: options.onProgress, signal: options.signal});
        if (useCache) {
          const s = session;
          await s.settle(); // never save keys whose re-rotation is still pending
          await this.cache.save(key, (file) => s.sequence.saveStateToFile(file), snapshotSession(s), {});
        }
      } catch (err) {
        await session.dispose();
        throw err;
      }
    }
    const s = session;
    const blocks = s.blockMap();
    const summary: IngestSummary = {
      answerFrom: mode,
      method,
      signal: s.signalUsed,
      ddSelect: s.ddSelectUsed,
      budgetTokens,
      tokensRead: s.tokensRead,
      tokensTotal: plan.wholeTokens,
      tokensKept: s.ledger.length,
      files: documents.length,
      skipped,
      skippedByReason,
      memory: s.memory(),
      blocks,
      fileMap: fileMapOf(
        tokenized.map((d) => ({path: d.path, tokens: d.ids.length})),
        blocks
      ),
      compressions: s.compressions,
      timings: {...s.timings},
      ingestMs: performance.now() - t0,
      fromCache,
    };
    this.flagBeyondContext(summary, summary.tokensKept);
    return {mode, session: s, request, summary, steeredBy: queryAware ? question : undefined};
  }

  private async finishCompressedAsk(
    live: Extract<Live, {mode: "reread" | "once"}>,
    question: string,
    options: TurnOptions = {},
    t0: number,
    prefilled: number
  ): Promise<AskSummary> {
    if (options.signal?.aborted) throw new CancelledError();
    const before = performance.now() - t0; // a re-read, when there was one
    const result = await live.session.ask(question, options);
    return {
      ...result,
      answerFrom: live.mode,
      firstTokenMs: result.firstTokenMs != null ? before + result.firstTokenMs : undefined,
      totalMs: performance.now() - t0,
      tokensKept: live.session.ledger.length,
      tokensPrefilled: prefilled,
      blocksSelected: live.session.blocks.kept().length,
      signal: live.session.signalUsed,
      ddSelect: live.session.ddSelectUsed,
      references: pickReferences(live.session.blocks.kept(), question, result.answer),
    };
  }

  private flagBeyondContext(summary: IngestSummary, kept: number) {
    const handles = this.info?.handlesContextTokens;
    if (handles && kept > handles) summary.beyondModelContext = {tokensKept: kept, modelContextTokens: handles};
  }

  // ---- internals ----

  private hookNote?: string;

  private async llama(): Promise<Llama> {
    if (this.loaded) return this.loaded.llama;
    const mode = this.config.probe ?? "auto";
    const offload = this.config.gpuLayers !== "off";
    // An NVIDIA GPU with only a CPU hook built: "auto" keeps the GPU (the stock binary) and says how to get both;
    // "on" takes the CPU hook as asked. Decided before loading: two binaries cannot share one process.
    const builds = hookBuildsPresent();
    const gpuWithoutGpuHook = offload && nvidiaGpuPresent() && !builds.includes("cuda");
    if (mode === "auto" && gpuWithoutGpuHook && builds.length > 0)
      this.hookNote =
        'an NVIDIA GPU is present but the KV hook is built for the CPU only: run "DynSplit: Build the KV Hook for This Machine" (CUDA) to get the attention signal on the GPU';
    if (mode === "on" || (mode === "auto" && !gpuWithoutGpuHook)) {
      try {
        this.loaded = await loadLlama({probe: true, gpu: offload ? "auto" : false});
        return this.loaded.llama;
      } catch (err) {
        if (mode === "on") throw err;
      }
    }
    this.loaded = await loadLlama({probe: false, gpu: this.config.gpuLayers === "off" ? false : "auto"});
    return this.loaded.llama;
  }

  private resolveSignal(choice: SignalSetting): SignalKind {
    if (choice === "attention" && !this.loaded?.hasProbe)
      throw new DynSplitInputError(
        "the attention signal needs the KV-hook build: run `npm run build:kernels` (or DynSplit: Build the KV Hook for This Machine), or use --signal keyNorm|surprisal"
      );
    const t = this.traits;
    const hookCovers = !(t?.mla || t?.recurrent || t?.hybrid);
    if (choice === "attention" && !hookCovers)
      throw new DynSplitInputError(
        "the KV hook measures plain and sliding-window attention only, not this model's latent (MLA), recurrent or hybrid memory: use --signal keyNorm|surprisal"
      );
    const keyNormUsable = this.capability.keyNormInformative && this.kvReadable();
    if (choice === "keyNorm" && !keyNormUsable)
      throw new DynSplitInputError(
        `the key-norm signal does not work on this model (${this.capability.reason || "its KV state is not a plain KV cache"}): use --signal surprisal${this.loaded?.hasProbe ? " or attention" : ""}`
      );
    if (choice !== "auto") return choice;
    return this.loaded?.hasProbe && hookCovers ? "attention" : keyNormUsable ? "keyNorm" : "surprisal";
  }

  /** The parser reads plain KV caches only: not sliding-window (iSWA), recurrent, hybrid or latent (MLA) memories. */
  private kvReadable(): boolean {
    return this.capability.plainKvState;
  }

  /** The GGUF formula for plain KV caches; measured from llama.cpp's state where the formula does not hold. */
  private async kvBytesPerTokenOf(md: unknown): Promise<number> {
    const formula = kvBytesPerToken(kvGeometryFromGguf(md, KV_CACHE_GGML[this.config.kvCacheType ?? "f16"]));
    const t = this.traits!;
    if (Number.isFinite(formula) && !t.recurrent && !t.hybrid && !t.mla) return formula;
    return measuredKvBytesPerToken(this.requireModel(), {swaFullCache: this.capability.swaFullCache, caches: t.swaSize ? 2 : 1});
  }

  /** A request for a mode the model's architecture cannot run is a message, never an aborted worker. */
  private checkCapability(mode: CapabilityMode) {
    const refused = this.capability.refusedModes[mode];
    if (refused) throw new DynSplitInputError(refused);
  }

  private threads(): number {
    return this.config.threads ?? Math.max(1, os.cpus().length - 1);
  }

  /**
   * Dense measuring (DD-Select's local/distant masses for every token) turns flash attention off: without it the hook
   * reduces the softmax llama.cpp computes anyway, with it the hook adds a second q·Kᵀ (both are exact, tested both
   * ways). `npm run bench:probe`, 8k tokens, 2 threads, bundled model: dense 2,030 ms with flash attention off,
   * 2,844 ms on, against 1,116 ms for the stock binary.
   */
  private contextOptions(denseAttention?: boolean) {
    return {threads: this.threads(), flashAttention: denseAttention ? false : undefined, swaFullCache: this.capability.swaFullCache};
  }

  private requireModel(): LlamaModel {
    if (!this.model) throw new Error("no model is loaded");
    return this.model;
  }

  private async unloadModel() {
    await this.clear();
    const m = this.model;
    this.model = undefined;
    await m?.dispose();
  }
}

/** Cache layers whose mean keys summarise a block: all of a small model's, else four spread over the depth. */
export function summaryLayers(nLayer: number): number[] {
  if (nLayer <= 4) return Array.from({length: nLayer}, (_, i) => i);
  return [...new Set([Math.floor(nLayer / 4), Math.floor(nLayer / 2), Math.floor((3 * nLayer) / 4), nLayer - 1])];
}

/** A model file's identity: its size and a hash of its first MiB (metadata and the first tensors). */
function modelFingerprint(file: string): string {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(Math.min(statSync(file).size, 2 ** 20));
    readSync(fd, buf, 0, buf.length, 0);
    return `${statSync(file).size}:${createHash("sha256").update(buf).digest("hex").slice(0, 32)}`;
  } finally {
    closeSync(fd);
  }
}

/** The NVIDIA kernel driver lists a folder per GPU (Linux); elsewhere the stock binary's own detection decides. */
function nvidiaGpuPresent(): boolean {
  try {
    return readdirSync("/proc/driver/nvidia/gpus").length > 0;
  } catch {
    return false;
  }
}

function runtimeVersions(binary: string): {nodeLlamaCpp: string; llamaCpp: string} {
  let root = path.dirname(fileURLToPath(import.meta.resolve("node-llama-cpp")));
  while (!existsSync(path.join(root, "llama", "llama.cpp.info.json")) && path.dirname(root) !== root) root = path.dirname(root);
  const read = (f: string) => {
    try {
      return JSON.parse(readFileSync(path.join(root, f), "utf8"));
    } catch {
      return {};
    }
  };
  return {nodeLlamaCpp: `${read("package.json").version ?? "?"} ${binary}`, llamaCpp: read("llama/llama.cpp.info.json").tag ?? "?"};
}

/** What a request reads: its folders (absolute, sorted), or a hash of the documents it gives. */
function workspaceKeyOf(request: IngestRequest): string {
  return request.documents
    ? `documents:${hashDocuments(request.documents)}`
    : JSON.stringify([...(request.roots ?? [])].map((r) => path.resolve(r)).sort());
}

function hashDocuments(documents: readonly IngestDocument[]): string {
  const h = createHash("sha256");
  for (const d of documents)
    h.update(d.path)
      .update("\0")
      .update(String(d.firstLine ?? 1))
      .update("\0")
      .update(d.content)
      .update("\0");
  return h.digest("hex").slice(0, 32);
}

function fileMapOf(files: readonly {path: string; tokens: number}[], blocks: readonly BlockRecord[]): FileMapEntry[] {
  const map = new Map(files.map((f) => [f.path, {path: f.path, tokens: f.tokens, blocks: 0, keptTokens: 0, keptBlocks: 0}]));
  for (const b of blocks) {
    const e = map.get(b.file);
    if (!e) continue;
    e.blocks++;
    e.keptTokens += b.keptTokens;
    if (b.keptTokens > 0) e.keptBlocks++;
  }
  return [...map.values()];
}

/**
 * The kept blocks an answer most likely drew on: blocks holding the answer text or an identifier of the
 * question, best-scored first; otherwise the best-scored kept blocks.
 */
export function pickReferences(kept: readonly BlockRecord[], question: string, answer: string, limit = 5): BlockRecord[] {
  const words = new Set((question.match(/[A-Za-z_][A-Za-z0-9_]{2,}/g) ?? []).filter((w) => !STOP_WORDS.has(w.toLowerCase())));
  const a = answer.trim();
  const hits = kept.filter((b) => b.file && ((a.length > 0 && b.text.includes(a)) || [...words].some((w) => b.text.includes(w))));
  const pool = hits.length > 0 ? hits : kept.filter((b) => b.file);
  return [...pool].sort((x, y) => y.score - x.score).slice(0, limit);
}

const STOP_WORDS = new Set([
  "what",
  "the",
  "and",
  "does",
  "how",
  "where",
  "which",
  "why",
  "this",
  "that",
  "with",
  "for",
  "from",
  "are",
  "is",
]);
