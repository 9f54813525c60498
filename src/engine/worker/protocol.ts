/**
 * The typed message protocol between the extension (or any client) and the engine worker process.
 * Requests carry an id; the worker answers each with exactly one `response`, and may stream `progress` and
 * `text` events for it first. `cancel` aborts a request in flight (it then answers with a CancelledError).
 */
import type {AskSummary, EngineConfig, IngestRequest, IngestSummary, ModelInfo} from "../engine";
import type {BlockRecord} from "../session/blockMapRecorder";
import type {IngestProgress} from "../session/compressedSession";
import type {Turn} from "../session/promptFormat";

export interface EngineStatus {
  pid: number;
  model?: ModelInfo;
  ingest?: Omit<IngestSummary, "blocks"> & {blockCount: number};
  rssBytes: number;
  /** Peak resident memory of the worker so far. */
  maxRssBytes: number;
  /** The settings this worker process was started with (threads, GPU layers, probe). */
  config: EngineConfig;
}

export type DownloadProgress = {downloadedBytes: number; totalBytes: number};

export interface LoadModelRequest {
  /** "bundled", a .gguf path or an hf: URI; the configured default when absent. */
  model?: string;
}
export interface AskRequest {
  question: string;
  maxTokens?: number;
  ignoreStops?: boolean;
  /** Return the exact text the model read (special tokens visible). */
  showPrompt?: boolean;
  /** Answer as the next turn of the conversation the worker holds (setConversation). */
  conversation?: boolean;
}
export interface SetConversationRequest {
  turns: Turn[];
}
export interface FileBlocksRequest {
  file: string;
}
type NoPayload = Record<string, never>;

/**
 * Request name → [payload, result, progress event streamed before the result]: the one table both ends are typed
 * by. `never` as progress: the request streams none.
 */
export interface RequestMap {
  loadModel: [LoadModelRequest, ModelInfo, DownloadProgress];
  ingest: [IngestRequest, IngestSummary, IngestProgress];
  ask: [AskRequest, AskSummary, never];
  /** The turns later questions see: [] starts a new conversation; the client replays them after a restart. */
  setConversation: [SetConversationRequest, null, never];
  /** Every block of one file (the visualizer asks when a file is opened): details on demand, not in every summary. */
  fileBlocks: [FileBlocksRequest, BlockRecord[], never];
  clear: [NoPayload, null, never];
  clearCache: [NoPayload, null, never];
  status: [NoPayload, EngineStatus, never];
  /** Test hook: makes the worker die as a native crash would. */
  crash: [NoPayload, null, never];
}
export type RequestType = keyof RequestMap;
export type PayloadOf<K extends RequestType> = RequestMap[K][0];
export type ResultOf<K extends RequestType> = RequestMap[K][1];
export type ProgressOf<K extends RequestType> = RequestMap[K][2];

/** One request of type K; the union over every K is what the client sends. */
export interface RequestMessage<K extends RequestType = RequestType> {
  kind: "request";
  id: number;
  type: K;
  payload: PayloadOf<K>;
}
type AnyRequestMessage = {[K in RequestType]: RequestMessage<K>}[RequestType];

export type ClientMessage = {kind: "init"; config: EngineConfig} | AnyRequestMessage | {kind: "cancel"; id: number};

export interface SerializedError {
  name: string;
  message: string;
}

/** What the worker sends about request K: its progress and text events, then exactly one response. */
export type RequestEvent<K extends RequestType = RequestType> =
  | {kind: "response"; id: number; type: K; ok: true; result: ResultOf<K>}
  | {kind: "response"; id: number; type: K; ok: false; error: SerializedError}
  | {kind: "progress"; id: number; type: K; progress: ProgressOf<K>}
  | {kind: "text"; id: number; type: K; text: string};
type AnyRequestEvent = {[K in RequestType]: RequestEvent<K>}[RequestType];

export type WorkerMessage =
  {kind: "ready"; pid: number} | AnyRequestEvent | {kind: "log"; level: "info" | "warn" | "error"; message: string};

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) return {name: err.name, message: err.message};
  return {name: "Error", message: String(err)};
}
