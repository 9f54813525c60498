/**
 * The engine worker: a child process that owns node-llama-cpp, so a native crash (a GGML_ASSERT abort, an
 * out-of-memory kill) ends this process and never the VS Code extension host. Requests run one at a time.
 */
import {Engine} from "../engine";
import {serializeError, type ClientMessage, type RequestMap, type RequestType, type WorkerMessage} from "./protocol";

let engine: Engine | undefined;
const controllers = new Map<number, AbortController>();
let queue: Promise<void> = Promise.resolve();

function send(message: WorkerMessage) {
  process.send?.(message);
}

type Handler<K extends RequestType> = (payload: RequestMap[K][0], ctx: {id: number; signal: AbortSignal}) => Promise<RequestMap[K][1]>;

const handlers: {[K in RequestType]: Handler<K>} = {
  loadModel: (p, {id, signal}) =>
    requireEngine().loadModel(p.model, {signal, onDownloadProgress: (downloadedBytes, totalBytes) => send({kind: "progress", id, progress: {downloadedBytes, totalBytes}})}),
  ingest: (p, {id, signal}) => requireEngine().ingest(p, {signal, onProgress: (progress) => send({kind: "progress", id, progress})}),
  ask: (p, {id, signal}) => requireEngine().ask(p.question, {signal, maxTokens: p.maxTokens, ignoreStops: p.ignoreStops, showPrompt: p.showPrompt, conversation: p.conversation, onText: (text) => send({kind: "text", id, text})}),
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
    return {pid: process.pid, model: e.modelInfo, ingest: s && {...s, blocks: undefined, blockCount: s.blocks.length}, rssBytes: process.memoryUsage().rss, maxRssBytes: process.resourceUsage().maxRSS * 1024, config: e.config};
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
      if (controller.signal.aborted) throw Object.assign(new Error("cancelled"), {name: "CancelledError"});
      const handler = handlers[message.type] as Handler<RequestType>;
      const result = await handler(message.payload as never, {id: message.id, signal: controller.signal});
      send({kind: "response", id: message.id, ok: true, result});
    } catch (err) {
      send({kind: "response", id: message.id, ok: false, error: serializeError(err)});
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
