/**
 * The one contract between the extension host and its two webviews (chat, visualizer), imported by both sides:
 * every message in each direction is a member of a discriminated union, and the host posts only those.
 *
 * Host → webview messages are built by the host, the compiler checks every field. Webview → host messages are
 * parsed by the zod schemas in webviewSchemas.ts before the host acts on them (a webview is web content); those
 * schemas are checked against these types at compile time, both ways.
 *
 * Types and constants only (no zod, no Node): the webview bundles import this module as it is.
 */
import type {AnswerFrom, Placement} from "../core/answerModes";
import type {MethodName} from "../core/types";

// ---- shared pieces ----

/** What a chat question reads: the whole workspace, the current file, or the selection. */
export const CHAT_SCOPES = ["workspace", "file", "selection"] as const;
export type ChatScope = (typeof CHAT_SCOPES)[number];

export type EnginePhase = "stopped" | "starting" | "loading-model" | "ready" | "ingesting" | "answering" | "crashed";

export interface LoadProgress {
  filesRead: number;
  filesTotal: number;
  tokensRead: number;
  tokensTotal: number;
  tokensKept: number;
  /** Estimated time left, from the throughput so far. */
  etaMs?: number;
}

// ---- the chat ----

export interface ChatReference {
  file: string;
  startLine: number;
  endLine: number;
  score: number;
}

/** Repository memory: the blocks of one file an answer was given. */
export interface SelectedFileBlocks {
  path: string;
  /** Block indices within the file. */
  blocks: number[];
  tokens: number;
}

export interface ChatEntry {
  id: string;
  role: "user" | "assistant" | "error";
  text: string;
  scope?: ChatScope;
  references?: ChatReference[];
  stoppedBy?: "stop" | "eos" | "maxTokens" | "cancelled";
  /** Repository memory: the blocks this answer was given, per file (the visualizer shows them). */
  selection?: SelectedFileBlocks[];
  /** How it was answered, and the time to its first token. */
  answerFrom?: AnswerFrom;
  firstTokenMs?: number;
  /** How many of the oldest turns left the model's context to make room (the transcript keeps them). */
  turnsDropped?: number;
  /** A button the webview offers with an error (e.g. restart after a crash). */
  action?: "restartEngine" | "loadWorkspace";
}

/** The state the chat header shows: model, method, signal, tokens and memory. */
export interface ChatViewState {
  phase: EnginePhase;
  error?: string;
  model?: string;
  scope?: ChatScope;
  method?: MethodName;
  /** The signal, with how it was measured when the engine says (e.g. "keyNorm (layers 0–3)"). */
  signal?: string;
  answerFrom?: AnswerFrom;
  tokensRead?: number;
  tokensTotal?: number;
  tokensKept?: number;
  storeBytes?: string;
  kvAllocated?: string;
  kvFullCache?: string;
  progress?: LoadProgress;
}

/** Host → chat. */
export type ToChat =
  | {type: "history"; entries: ChatEntry[]}
  | {type: "state"; state: ChatViewState}
  | {type: "entry"; entry: ChatEntry}
  | {type: "answerStart"; id: string}
  | {type: "answerText"; id: string; text: string}
  | {type: "answerEnd"; id: string};

/** What the chat webview keeps across hiding and reloads (vscode.getState). */
export interface ChatWebviewState {
  draft?: string;
  scope?: ChatScope;
}

/** A source range a webview asks to open (resolved inside the workspace folders only). */
export interface OpenReference {
  type: "openReference";
  file: string;
  startLine: number;
  endLine: number;
}

/** Chat → host. */
export type FromChat =
  | {type: "ready"}
  | {type: "ask"; text: string; scope: ChatScope}
  | {type: "stop"}
  | OpenReference
  | {type: "loadWorkspace"}
  | {type: "restartEngine"}
  | {type: "showBlocks"; entryId?: string}
  | {type: "clearHistory"};

// ---- the visualizer ----

/** One block of the compressed stream's block map (texts trimmed to keep messages small). */
export interface MapBlock {
  file: string;
  startLine: number;
  endLine: number;
  tokens: number;
  kept: boolean;
  score: number;
  boundary: string;
  preview: string;
}

/** The compressed stream (once/reread), or the side-by-side run of another method. */
export type BlockMap =
  | {type: "blocks"; label: "current" | "compare"; empty: true}
  | {
      type: "blocks";
      label: "current" | "compare";
      empty?: false;
      method: MethodName;
      signal: string;
      tokensRead: number;
      tokensKept: number;
      budgetTokens: number;
      kvBytesAllocated: number;
      kvBytesFullCache: number;
      kvBytesInUse: number;
      files: number;
      fromCache: boolean;
      skippedByReason: Record<string, number>;
      blocks: MapBlock[];
    };

export interface RepositoryFile {
  path: string;
  tokens: number;
  blocks: number;
  selectedTokens: number;
  selectedBlocks: number[];
}

/** The repository memory: the whole workspace, the store and the live context, and what one answer selected. */
export interface RepositoryMap {
  type: "repository";
  segmentation: string;
  placement?: Placement;
  signal: string;
  budgetTokens: number;
  tokensTotal: number;
  tokensRead: number;
  blocks: number;
  storeBytes: number;
  fromStore: boolean;
  contextSize: number;
  kvBytesAllocated: number;
  kvBytesFullCache: number;
  skippedByReason: Record<string, number>;
  files: RepositoryFile[];
  answer?: {question: string; answer: string; tokensKept: number; blocksSelected: number; files: number; firstTokenMs?: number};
}

/** Every block of one file, sent when the visualizer opens it. */
export interface FileBlock {
  startLine: number;
  endLine: number;
  tokens: number;
  score: number;
  kept: boolean;
}

/** Host → visualizer. */
export type ToVisualizer =
  | BlockMap
  | RepositoryMap
  | {type: "fileBlocks"; file: string; blocks: FileBlock[]}
  | {type: "comparing"; method: MethodName}
  | {type: "error"; message: string};

/** What the visualizer keeps across a reload (vscode.getState; the serializer gets it back). */
export interface VisualizerWebviewState {
  /** The folder the treemap shows, and the file opened in it. */
  zoom?: string;
  openedFile?: string;
}

/** Visualizer → host. */
export type FromVisualizer =
  | {type: "ready"}
  | OpenReference
  | {type: "compare"; method: MethodName}
  | {type: "toggleDecorations"}
  | {type: "loadWorkspace"}
  | {type: "fileBlocks"; file: string}
  | {type: "showLatest"};
