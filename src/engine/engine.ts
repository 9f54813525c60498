import {statSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {performance} from "node:perf_hooks";
import type {Llama, LlamaModel} from "node-llama-cpp";
import {DynSplitInputError} from "../core/errors";
import {kvBytesPerToken, kvGeometryFromGguf} from "../core/kvMemory";
import type {MethodOptions} from "../core/methods/registry";
import type {Budget, MethodName} from "../core/types";
import {DEFAULT_RECENT_WINDOW, DEFAULT_SINK_TOKENS, resolveBudget} from "../core/validate";
import {PersistentCache} from "./cache/persistentCache";
import {resolveModel, type ModelSpec} from "./model/modelSource";
import {CompressedSession, snapshotSession, type AnswerResult, type IngestDocument, type IngestProgress, type MemoryReport, type SignalChoice, type Timings} from "./session/compressedSession";
import type {BlockRecord} from "./session/blockMapRecorder";
import {cardFormat, PLAIN_FORMAT, type PromptFormat} from "./session/promptFormat";
import {loadLlama, type LoadedLlama} from "./signals/loadLlama";
import {scanWorkspace, type SkipReason, type SkippedFile} from "./workspace/scanWorkspace";

export interface EngineConfig {
  packageRoot: string;
  /** Where compressed workspaces and downloaded models are kept. */
  cacheDir: string;
  /** CPU threads for contexts; default: cores − 1 (at least 1). The prebuilt binary was erratic with 2 on 2 cores. */
  threads?: number;
  /** Attention-probe binary: "auto" uses it when built, "on" requires it, "off" uses the stock binary. */
  probe?: "auto" | "on" | "off";
  /** GPU offload: "auto" (default when the probe is off), "off", or a number of layers. The probe build is CPU-only. */
  gpuLayers?: "auto" | "off" | number;
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
  format: string;
}

export interface IngestRequest {
  /** Workspace folders to read… */
  roots?: string[];
  /** …or documents given directly (eval cases). */
  documents?: IngestDocument[];
  include?: string[];
  exclude?: string[];
  maxFileBytes?: number;
  method?: MethodName;
  methodOptions?: MethodOptions;
  budget: Budget;
  signal?: SignalChoice | "auto";
  chunkTokens?: number;
  /** When known (CLI ask), the question steers every compression point (query-aware). */
  question?: string;
  queryAware?: boolean;
  useCache?: boolean;
}

export interface IngestSummary {
  method: MethodName;
  signal: string;
  budgetTokens: number;
  tokensRead: number;
  tokensKept: number;
  files: number;
  skipped: SkippedFile[];
  skippedByReason: Partial<Record<SkipReason, number>>;
  memory: MemoryReport;
  blocks: BlockRecord[];
  compressions: number;
  timings: Timings;
  ingestMs: number;
  fromCache: boolean;
  /** Set when more tokens stay in the context than the model handles well (ModelInfo.handlesContextTokens). */
  beyondModelContext?: {tokensKept: number; modelContextTokens: number};
}

export interface AskSummary extends AnswerResult {
  references: BlockRecord[];
}

/**
 * The engine behind the CLI and the worker: one llama binary, one model, one compressed session at a time.
 * Everything node-llama-cpp lives here; the core library decides what to keep.
 */
export class Engine {
  private loaded?: LoadedLlama;
  private model?: LlamaModel;
  private info?: ModelInfo;
  private format: PromptFormat = PLAIN_FORMAT;
  private session?: CompressedSession;
  private lastIngest?: IngestSummary;
  readonly cache: PersistentCache;

  constructor(readonly config: EngineConfig) {
    this.cache = new PersistentCache(path.join(config.cacheDir, "workspaces"));
  }

  get modelInfo(): ModelInfo | undefined {
    return this.info;
  }

  get ingestSummary(): IngestSummary | undefined {
    return this.lastIngest;
  }

  async loadModel(spec?: ModelSpec, options: {onDownloadProgress?: (done: number, total: number) => void; signal?: AbortSignal} = {}): Promise<ModelInfo> {
    const resolved = await resolveModel(spec, {packageRoot: this.config.packageRoot, downloadDir: path.join(this.config.cacheDir, "models"), ...options});
    const llama = await this.llama();
    await this.unloadModel();
    const layers = this.config.gpuLayers ?? "auto";
    this.model = await llama.loadModel({modelPath: resolved.path, gpuLayers: llama.gpu === false || layers === "off" ? 0 : layers});
    this.format = resolved.card ? cardFormat(resolved.card) : PLAIN_FORMAT;
    const md = this.model.fileInfo.metadata as Record<string, any>;
    this.info = {
      path: resolved.path,
      name: String(md.general?.name ?? path.basename(resolved.path)),
      fileSize: resolved.fileSize,
      kvBytesPerToken: kvBytesPerToken(kvGeometryFromGguf(md)),
      trainContextSize: this.model.trainContextSize,
      handlesContextTokens: resolved.card?.contextTokens ?? this.model.trainContextSize,
      binary: this.loaded!.binary,
      hasProbe: this.loaded!.hasProbe,
      format: this.format.name,
    };
    return this.info;
  }

  async ingest(request: IngestRequest, options: {onProgress?: (p: IngestProgress) => void; signal?: AbortSignal} = {}): Promise<IngestSummary> {
    const model = this.requireModel();
    const t0 = performance.now();
    const method = request.method ?? "dynsplit";
    let documents = request.documents;
    let skipped: SkippedFile[] = [];
    let skippedByReason: Partial<Record<SkipReason, number>> = {};
    let contentHash = "";
    if (!documents) {
      const scan = await scanWorkspace({roots: request.roots ?? [], include: request.include, exclude: request.exclude, maxFileBytes: request.maxFileBytes, signal: options.signal});
      documents = scan.files.map((f) => ({path: f.relPath, content: f.content}));
      skipped = scan.skipped;
      skippedByReason = scan.skippedByReason;
      contentHash = scan.contentHash;
    } else contentHash = PersistentCache.key({docs: documents});
    if (documents.length === 0) throw new DynSplitInputError("nothing to read: no text files in the workspace (all were skipped or excluded)");

    const signal = this.resolveSignal(request.signal ?? "auto", method);
    const totalTokens = this.countTokens(documents);
    const pinnedTokens = this.pinnedTokens(documents);
    const budgetTokens = resolveBudget(request.budget, totalTokens + pinnedTokens);
    const nSink = request.methodOptions?.nSink ?? DEFAULT_SINK_TOKENS;
    const recent = Math.min(request.methodOptions?.recentWindow ?? DEFAULT_RECENT_WINDOW, Math.floor(budgetTokens / 4));
    if (pinnedTokens + nSink + recent > budgetTokens)
      throw new DynSplitInputError(
        `the workspace is too large for the budget: its ${documents.length} file headers alone need ${pinnedTokens} tokens, ` +
          `the budget is ${budgetTokens}; raise the budget, or exclude folders`
      );
    const chunkTokens = request.chunkTokens ?? Math.max(64, Math.min(512, Math.floor(budgetTokens / 2)));
    const question = request.question;
    const queryAware = request.queryAware ?? question != null;
    const reserveTokens = (question ? model.tokenize(this.format.observation(question)).length : 64) + this.format.maxAnswerTokens + 16;
    const methodOptions = {...request.methodOptions, recentWindow: recent, nSink};
    const sessionOptions = {method, methodOptions, signal, budgetTokens, chunkTokens, reserveTokens, queryAware, format: this.format, denseAttention: signal === "attention" && method === "dynsplit"};

    const key = PersistentCache.key({
      model: this.modelIdentity(),
      method,
      methodOptions,
      signal,
      budgetTokens,
      chunkTokens,
      reserveTokens,
      question: queryAware ? question : undefined,
      contentHash,
      binary: this.info?.binary,
    });
    await this.closeSession();
    const useCache = request.useCache !== false;
    const cached = useCache ? await this.cache.load(key) : undefined;
    let fromCache = false;
    if (cached) {
      try {
        this.session = await CompressedSession.create(model, sessionOptions, this.contextOptions(sessionOptions.denseAttention), cached);
        fromCache = true;
      } catch {
        this.session = undefined; // unusable entry: read the workspace again
      }
    }
    if (!this.session) {
      this.session = await CompressedSession.create(model, sessionOptions, this.contextOptions(sessionOptions.denseAttention));
      try {
        await this.session.ingest(documents, {question, onProgress: options.onProgress, signal: options.signal});
      } catch (err) {
        await this.closeSession();
        throw err;
      }
      if (useCache) await this.cache.save(key, (file) => this.session!.sequence.saveStateToFile(file), snapshotSession(this.session), {});
    }
    const s = this.session;
    this.lastIngest = {
      method,
      signal: s.signalUsed,
      budgetTokens,
      tokensRead: s.tokensRead,
      tokensKept: s.ledger.length,
      files: documents.length,
      skipped,
      skippedByReason,
      memory: s.memory(),
      blocks: s.blockMap(),
      compressions: s.compressions,
      timings: {...s.timings},
      ingestMs: performance.now() - t0,
      fromCache,
    };
    const handles = this.info?.handlesContextTokens;
    const kept = this.lastIngest.tokensKept;
    if (handles && kept > handles) this.lastIngest.beyondModelContext = {tokensKept: kept, modelContextTokens: handles};
    return this.lastIngest;
  }

  async ask(question: string, options: {onText?: (text: string) => void; signal?: AbortSignal; maxTokens?: number; ignoreStops?: boolean} = {}): Promise<AskSummary> {
    if (!this.session) throw new Error("no workspace is loaded: load the workspace into context first");
    const result = await this.session.ask(question, options);
    return {...result, references: pickReferences(this.session.blocks.kept(), question, result.answer)};
  }

  async clear() {
    await this.closeSession();
    this.lastIngest = undefined;
  }

  async dispose() {
    await this.closeSession();
    await this.unloadModel();
    await this.loaded?.llama.dispose();
    this.loaded = undefined;
  }

  // ---- internals ----

  private async llama(): Promise<Llama> {
    if (this.loaded) return this.loaded.llama;
    const mode = this.config.probe ?? "auto";
    if (mode !== "off") {
      try {
        this.loaded = await loadLlama({probe: true});
        return this.loaded.llama;
      } catch (err) {
        if (mode === "on") throw err;
      }
    }
    this.loaded = await loadLlama({probe: false, gpu: this.config.gpuLayers === "off" ? false : "auto"});
    return this.loaded.llama;
  }

  private resolveSignal(choice: SignalChoice | "auto", method: MethodName): SignalChoice {
    if (choice === "attention" && !this.loaded?.hasProbe)
      throw new DynSplitInputError("the attention signal needs the probe build: run `npm run build:kernels`, or use --signal keyNorm|surprisal");
    if (choice !== "auto") return choice;
    void method;
    return this.loaded?.hasProbe ? "attention" : "keyNorm";
  }

  private countTokens(documents: readonly IngestDocument[]): number {
    const model = this.requireModel();
    let total = 0;
    for (const d of documents) total += model.tokenize(this.format.fileHeader(d.path)).length + model.tokenize(d.content).length + 1;
    return total;
  }

  /** Tokens that are always kept: BOS, the preamble and one header per file. */
  private pinnedTokens(documents: readonly IngestDocument[]): number {
    const model = this.requireModel();
    let n = 1 + (this.format.preamble ? model.tokenize(this.format.preamble).length : 0);
    for (const d of documents) n += model.tokenize(this.format.fileHeader(d.path)).length;
    return n;
  }

  private modelIdentity() {
    const p = this.info!.path;
    const st = statSync(p);
    return {path: p, size: st.size, mtime: st.mtimeMs};
  }

  /** Dense probing (DD-Select's local/distant masses for every token) reduces kq_soft_max directly with flash
   *  attention off (+10 % prefill); recomputing every row under flash attention would double prefill. */
  private contextOptions(denseAttention: boolean) {
    return {threads: this.config.threads ?? Math.max(1, os.cpus().length - 1), flashAttention: denseAttention ? false : undefined};
  }

  private requireModel(): LlamaModel {
    if (!this.model) throw new Error("no model is loaded");
    return this.model;
  }

  private async closeSession() {
    const s = this.session;
    this.session = undefined;
    await s?.dispose();
  }

  private async unloadModel() {
    await this.closeSession();
    const m = this.model;
    this.model = undefined;
    await m?.dispose();
  }
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

const STOP_WORDS = new Set(["what", "the", "and", "does", "how", "where", "which", "why", "this", "that", "with", "for", "from", "are", "is"]);
