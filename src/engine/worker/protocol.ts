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

/** Request name → [payload, result, progress events streamed before the result]. */
export interface RequestMap {
  loadModel: [{model?: string}, ModelInfo, DownloadProgress];
  ingest: [IngestRequest, IngestSummary, IngestProgress];
  ask: [{question: string; maxTokens?: number; ignoreStops?: boolean; showPrompt?: boolean; conversation?: boolean}, AskSummary, never];
  /** The turns later questions see: [] starts a new conversation; the client replays them after a restart. */
  setConversation: [{turns: Turn[]}, null, never];
  /** Every block of one file (the visualizer asks when a file is opened): details on demand, not in every summary. */
  fileBlocks: [{file: string}, BlockRecord[], never];
  clear: [Record<string, never>, null, never];
  clearCache: [Record<string, never>, null, never];
  status: [Record<string, never>, EngineStatus, never];
  /** Test hook: makes the worker die as a native crash would. */
  crash: [Record<string, never>, null, never];
}
export type RequestType = keyof RequestMap;
export type ProgressOf<K extends RequestType> = RequestMap[K][2];

export type ClientMessage =
  | {kind: "init"; config: EngineConfig}
  | {[K in RequestType]: {kind: "request"; id: number; type: K; payload: RequestMap[K][0]}}[RequestType]
  | {kind: "cancel"; id: number};

export interface SerializedError {
  name: string;
  message: string;
}

export type WorkerMessage =
  | {kind: "ready"; pid: number}
  | {kind: "response"; id: number; ok: true; result: unknown}
  | {kind: "response"; id: number; ok: false; error: SerializedError}
  | {kind: "progress"; id: number; progress: ProgressOf<RequestType>}
  | {kind: "text"; id: number; text: string}
  | {kind: "log"; level: "info" | "warn" | "error"; message: string};

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) return {name: err.name, message: err.message};
  return {name: "Error", message: String(err)};
}
