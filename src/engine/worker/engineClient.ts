import {fork, type ChildProcess} from "node:child_process";
import {EventEmitter} from "node:events";
import type {AskSummary, EngineConfig} from "../engine";
import type {Turn} from "../session/promptFormat";
import type {ClientMessage, PayloadOf, ProgressOf, RequestEvent, RequestMessage, RequestType, ResultOf, WorkerMessage} from "./protocol";

export class EngineCrashedError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly exitSignal: NodeJS.Signals | null
  ) {
    super(`the engine process stopped unexpectedly (${exitSignal ?? `exit code ${exitCode}`}); restart the engine to continue`);
    this.name = "EngineCrashedError";
  }
}

/** An error the worker reported, with the worker's error name (e.g. "ModelError", "CancelledError"). */
export class EngineRequestError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** A request in flight: it routes its own events, typed by its request type. */
interface Pending {
  deliver(event: RequestEvent): void;
  fail(err: Error): void;
}

/** Narrows a message or event by its request type (checked at run time, not cast). */
function isRequest<T extends RequestType>(m: RequestMessage, type: T): m is RequestMessage<T> {
  return m.type === type;
}
function isEventOf<T extends RequestType>(e: RequestEvent, type: T): e is RequestEvent<T> {
  return e.type === type;
}

export interface RequestOptions<K extends RequestType = RequestType> {
  signal?: AbortSignal;
  /** The request's own progress events (ingest: files and tokens read; loadModel: download bytes). */
  onProgress?: (p: ProgressOf<K>) => void;
  onText?: (text: string) => void;
}

/**
 * The parent side: forks the worker (`ELECTRON_RUN_AS_NODE=1` so VS Code's Electron binary runs it as plain
 * Node), sends typed requests, routes streamed events, cancels, and reports crashes. After a crash,
 * `restart()` starts a fresh worker and replays the model load and the last ingestion (served from the
 * persistent cache), so a conversation continues where it was.
 */
export class EngineClient extends EventEmitter<{crash: [EngineCrashedError]; log: [string]; restarted: []}> {
  private child?: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private ready?: Promise<void>;
  private lastModel?: PayloadOf<"loadModel">;
  private lastIngest?: PayloadOf<"ingest">;
  /** The conversation the worker holds, replayed into a restarted one so that no turn is lost. */
  private turns: Turn[] = [];

  constructor(
    private readonly workerPath: string,
    private config: EngineConfig,
    private readonly execPath?: string
  ) {
    super();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    if (this.ready) return this.ready;
    const child = fork(this.workerPath, [], {
      execPath: this.execPath,
      env: {...process.env, ELECTRON_RUN_AS_NODE: "1", ELECTRON_NO_ASAR: "1"},
      serialization: "advanced",
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    this.child = child;
    child.stdout?.on("data", (d) => this.emit("log", String(d)));
    child.stderr?.on("data", (d) => this.emit("log", String(d)));
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: WorkerMessage) => {
        if (m.kind === "ready") resolve();
        else this.onMessage(m);
      };
      child.on("message", onMessage);
      child.once("exit", (code, signal) => {
        const err = new EngineCrashedError(code, signal);
        reject(err);
        if (this.child !== child) return;
        this.child = undefined;
        this.ready = undefined;
        for (const p of this.pending.values()) p.fail(err);
        this.pending.clear();
        if (!this.stopping) this.emit("crash", err);
      });
      child.send({kind: "init", config: this.config} satisfies ClientMessage);
    });
    return this.ready;
  }

  async request<K extends RequestType>(type: K, payload: PayloadOf<K>, options: RequestOptions<K> = {}): Promise<ResultOf<K>> {
    await this.start();
    const id = this.nextId++;
    const message: RequestMessage<K> = {kind: "request", id, type, payload};
    this.remember(message);
    const child = this.child!;
    return new Promise<ResultOf<K>>((resolve, reject) => {
      if (options.signal?.aborted) return reject(new EngineRequestError("CancelledError", "cancelled"));
      this.pending.set(id, {
        fail: reject,
        deliver: (event) => {
          if (!isEventOf(event, type)) return; // another request's event under this id cannot happen; ignore it
          if (event.kind === "progress") options.onProgress?.(event.progress);
          else if (event.kind === "text") options.onText?.(event.text);
          else {
            this.pending.delete(id);
            if (!event.ok) return reject(new EngineRequestError(event.error.name, event.error.message));
            if (isRequest(message, "ask") && isEventOf(event, "ask")) this.recordTurn(message.payload, event.result);
            resolve(event.result);
          }
        },
      });
      options.signal?.addEventListener("abort", () => child.connected && child.send({kind: "cancel", id} satisfies ClientMessage), {
        once: true,
      });
      child.send(message);
    });
  }

  /** What a restarted worker needs to be given again: the model, the workspace, the conversation. */
  private remember(message: RequestMessage) {
    if (isRequest(message, "loadModel")) this.lastModel = message.payload;
    else if (isRequest(message, "ingest")) this.lastIngest = message.payload;
    else if (isRequest(message, "clear")) this.lastIngest = undefined;
    else if (isRequest(message, "setConversation")) this.turns = [...message.payload.turns];
  }

  /** A conversational answer becomes a turn the client can replay (the worker dropped the oldest if it said so). */
  private recordTurn(ask: PayloadOf<"ask">, a: AskSummary) {
    if (!ask.conversation || a.stoppedBy === "cancelled" || !a.answer) return;
    this.turns.push({question: ask.question, answer: a.answer});
    if (a.turnsDropped) this.turns.splice(0, a.turnsDropped);
  }

  /**
   * Starts a new worker after a crash (or on demand) and restores the model and the last workspace.
   * `config` replaces the worker's settings (threads, GPU layers), which only take effect in a new process.
   */
  async restart(config?: EngineConfig): Promise<void> {
    if (config) this.config = config;
    await this.stop();
    await this.start();
    if (this.lastModel) await this.request("loadModel", this.lastModel);
    if (this.lastIngest) await this.request("ingest", {...this.lastIngest, useCache: true});
    if (this.turns.length > 0) await this.request("setConversation", {turns: this.turns});
    this.emit("restarted");
  }

  private stopping = false;

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.disconnect?.();
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
    this.stopping = false;
  }

  private onMessage(m: WorkerMessage) {
    if (m.kind === "log") return void this.emit("log", m.message);
    if (m.kind === "ready") return;
    this.pending.get(m.id)?.deliver(m);
  }
}
