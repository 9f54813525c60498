/**
 * The engine worker: a child process that owns node-llama-cpp, so a native crash (a GGML_ASSERT abort, an
 * out-of-memory kill) ends this process and never the VS Code extension host. Requests run one at a time.
 */
import {Engine} from "../engine";
import {
  serializeError,
  type ClientMessage,
  type PayloadOf,
  type ProgressOf,
  type RequestEvent,
  type RequestMessage,
  type RequestType,
  type ResultOf,
  type WorkerMessage,
} from "./protocol";

let engine: Engine | undefined;
const controllers = new Map<number, AbortController>();
let queue: Promise<void> = Promise.resolve();

function send(message: WorkerMessage) {
  process.send?.(message);
}

/** A request's context: its cancellation, and its own typed progress and text streams. */
interface HandlerContext<K extends RequestType> {
  signal: AbortSignal;
  progress: (p: ProgressOf<K>) => void;
  text: (t: string) => void;
}
type Handler<K extends RequestType> = (payload: PayloadOf<K>, ctx: HandlerContext<K>) => Promise<ResultOf<K>>;

const handlers: {[K in RequestType]: Handler<K>} = {
  loadModel: (p, {signal, progress}) =>
    requireEngine().loadModel(p.model, {
      signal,
      onDownloadProgress: (downloadedBytes, totalBytes) => progress({downloadedBytes, totalBytes}),
    }),
  ingest: (p, {signal, progress}) => requireEngine().ingest(p, {signal, onProgress: progress}),
  ask: (p, {signal, text}) =>
    requireEngine().ask(p.question, {
      signal,
      maxTokens: p.maxTokens,
      ignoreStops: p.ignoreStops,
      showPrompt: p.showPrompt,
      conversation: p.conversation,
      onText: text,
    }),
  fileBlocks: (p) => requireEngine().fileBlocks(p.file),
  setConversation: async (p) => {
    requireEngine().setConversation(p.turns);
    return null;
  },
  clear: async () => {
    await requireEngine().clear();
    return null;
  },
  clearCache: async () => {
    await requireEngine().clearCaches();
    return null;
  },
  status: async () => {
    const e = requireEngine();
    const s = e.ingestSummary;
    return {
      pid: process.pid,
      model: e.modelInfo,
      ingest: s && {...s, blocks: undefined, blockCount: s.blocks.length},
      rssBytes: process.memoryUsage().rss,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      config: e.config,
    };
  },
  crash: async () => {
    setTimeout(() => process.abort(), 10);
    return null;
  },
};

function requireEngine(): Engine {
  if (!engine) throw new Error("the engine worker was not initialised");
  return engine;
}

/** Runs one request: its events carry its type, so the client routes them without narrowing by hand. */
async function run<K extends RequestType>(message: RequestMessage<K>, signal: AbortSignal): Promise<void> {
  const {id, type} = message;
  const emit = (event: RequestEvent<K>) => process.send?.(event);
  try {
    if (signal.aborted) throw Object.assign(new Error("cancelled"), {name: "CancelledError"});
    const handler: Handler<K> = handlers[type];
    const result = await handler(message.payload, {
      signal,
      progress: (progress) => emit({kind: "progress", id, type, progress}),
      text: (text) => emit({kind: "text", id, type, text}),
    });
    emit({kind: "response", id, type, ok: true, result});
  } catch (err) {
    emit({kind: "response", id, type, ok: false, error: serializeError(err)});
  }
}

process.on("message", (message: ClientMessage) => {
  if (message.kind === "init") {
    engine = new Engine(message.config);
    send({kind: "ready", pid: process.pid});
    return;
  }
  if (message.kind === "cancel") {
    controllers.get(message.id)?.abort();
    return;
  }
  if (message.kind !== "request") return;
  const controller = new AbortController();
  controllers.set(message.id, controller);
  queue = queue.then(async () => {
    try {
      await run(message, controller.signal);
    } finally {
      controllers.delete(message.id);
    }
  });
});
process.on("disconnect", () => {
  // The parent is gone: free the model and leave.
  void engine?.dispose().finally(() => process.exit(0));
});

process.on("unhandledRejection", (reason) => send({kind: "log", level: "error", message: `unhandled rejection: ${String(reason)}`}));
