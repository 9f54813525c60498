/** What `ask` and `ingest` print: the JSON shapes and the human-readable summary, shared by both commands. */
import {formatBytes, savingText} from "../core/kvMemory";
import type {AskSummary, IngestSummary, ModelInfo} from "../engine/engine";

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The ingest part of `--json`: what was read, and from where. */
export function ingestJson(s: IngestSummary) {
  return {
    answerFrom: s.answerFrom,
    method: s.method,
    signal: s.signal,
    budgetTokens: s.budgetTokens,
    tokensRead: s.tokensRead,
    tokensTotal: s.tokensTotal,
    files: s.files,
    ingestMs: Math.round(s.ingestMs),
    storeBytes: s.store?.bytes ?? 0,
    fromStore: s.store?.fromStore ?? s.fromCache,
    fromCache: s.fromCache,
    kvBytesAllocated: s.memory.kvBytesAllocated,
    kvBytesFullCache: s.memory.kvBytesFullCache,
    skippedByReason: s.skippedByReason,
    ...(s.store
      ? {
          store: {
            blocks: s.store.blocks,
            segmentation: s.store.segmentation,
            placement: s.store.placement,
            filesRead: s.store.filesRead,
            filesDeleted: s.store.filesDeleted,
          },
        }
      : {}),
    ...(s.beyondModelContext ? {beyondModelContext: s.beyondModelContext} : {}),
  };
}

/** One answer of `--json`. */
export function answerJson(question: string, a: AskSummary) {
  return {
    question,
    answer: a.answer,
    firstTokenMs: a.firstTokenMs != null ? round(a.firstTokenMs) : null,
    totalMs: round(a.totalMs),
    tokensKept: a.tokensKept,
    tokensPrefilled: a.tokensPrefilled,
    blocksSelected: a.blocksSelected,
    signal: a.signal,
    stoppedBy: a.stoppedBy,
    answerTokens: a.answerTokens,
    ...(a.turn != null ? {turn: a.turn, turnsDropped: a.turnsDropped ?? 0} : {}),
    references: a.references.map((r) => ({file: r.file, startLine: r.startLine, endLine: r.endLine})),
    ...(a.prompt != null ? {prompt: a.prompt} : {}),
  };
}

export function droppedTurnsNote(n: number): string {
  return `(the ${n} oldest turn${n > 1 ? "s" : ""} left the conversation to keep it within half the budget)\n`;
}

/** What the model's architecture allows (core/modelCapability.ts), printed with every `ask --json`. */
export function modelJson(m: ModelInfo) {
  return {
    model: m.name,
    demoModel: m.demo,
    architecture: m.architecture,
    backend: m.backend,
    gpuLayers: m.gpuLayers,
    kvHook: m.hasProbe,
    hookNote: m.hookNote,
    format: m.format,
    capability: m.capability,
    capabilityReason: m.capabilityReason,
  };
}

/**
 * The single-question `ask --json`: the answer with the workspace's figures at the top level, its block map
 * (once/reread: every block with its kept flag; memory: the blocks the question selected), and the `ingest` and
 * `answers` parts that `--questions` prints.
 */
export function askJson(s: IngestSummary, question: string, a: AskSummary) {
  const blocks =
    s.answerFrom === "memory"
      ? (a.selection ?? []).flatMap((f) => f.lines.map(([startLine, endLine]) => ({file: f.path, startLine, endLine, kept: true})))
      : s.blocks.map((b) => ({
          file: b.file,
          startLine: b.startLine,
          endLine: b.endLine,
          tokens: b.tokens,
          kept: b.keptTokens > 0,
          score: round(b.score),
        }));
  return {
    answer: a.answer,
    answerFrom: s.answerFrom,
    method: s.method,
    signal: a.signal,
    ddSelect: a.ddSelect ?? s.ddSelect,
    budgetTokens: s.budgetTokens,
    tokensRead: s.tokensRead,
    tokensKept: a.tokensKept,
    kvBytesAllocated: s.memory.kvBytesAllocated,
    kvBytesFullCache: s.memory.kvBytesFullCache,
    fromCache: s.fromCache,
    beyondModelContext: s.beyondModelContext,
    blocks,
    timings: {
      prefillMs: round(s.timings.prefillMs + a.timings.prefillMs),
      scoringMs: round(s.timings.scoringMs + a.timings.scoringMs),
      evictMs: round(s.timings.evictMs + a.timings.evictMs),
      decodeMs: round(a.timings.decodeMs),
    },
    ingest: ingestJson(s),
    answers: [answerJson(question, a)],
  };
}

/** The memory line: KV allocated against a full cache, and how much less it is — or that nothing was saved. */
export function memoryLine(s: IngestSummary): string {
  const m = s.memory;
  const saving = savingText(m.kvBytesFullCache, m.kvBytesAllocated, "the whole workspace");
  return `KV allocated ${formatBytes(m.kvBytesAllocated)} (context ${m.contextSize}) · a full cache would need ${formatBytes(m.kvBytesFullCache)} · ${saving}`;
}

export function printSummary(s: IngestSummary, stream: NodeJS.WriteStream = process.stderr) {
  const lines: string[] = [];
  if (s.answerFrom === "memory" && s.store) {
    const st = s.store;
    const read = st.fromStore
      ? `nothing read: all from the store (${formatBytes(st.bytes)})`
      : `read ${s.tokensRead} tokens of ${st.filesRead} files into the store (${formatBytes(st.bytes)})`;
    lines.push(`repository memory · ${st.segmentation} blocks · ${s.files} files · ${st.blocks} blocks · ${read}`);
    lines.push(
      `each question: up to ${s.budgetTokens} tokens chosen from ${s.tokensTotal} (scored by ${s.signal}, ${st.placement} placement)`
    );
  } else {
    lines.push(
      `${s.answerFrom} · method ${s.method} · signal ${s.signal} · ${s.files} files${s.fromCache ? " · from the persistent cache" : ""}`
    );
    lines.push(`tokens read ${s.tokensRead} · kept ${s.tokensKept} (budget ${s.budgetTokens}, ${s.compressions} compressions)`);
  }
  lines.push(memoryLine(s));
  lines.push(
    `timings: prefill ${s.timings.prefillMs.toFixed(0)} ms · scoring ${s.timings.scoringMs.toFixed(0)} ms · evict ${s.timings.evictMs.toFixed(0)} ms · total ${s.ingestMs.toFixed(0)} ms`
  );
  const skipped = Object.entries(s.skippedByReason).filter(([, n]) => n);
  if (skipped.length) lines.push(`skipped: ${skipped.map(([r, n]) => `${n} ${r}`).join(", ")}`);
  if (s.beyondModelContext) lines.push(beyondModelContextNote(s.beyondModelContext));
  stream.write(lines.join("\n") + "\n");
}

function beyondModelContextNote(b: NonNullable<IngestSummary["beyondModelContext"]>): string {
  return `note: ${b.tokensKept} tokens stay in the context, more than the ${b.modelContextTokens} this model handles well; answers may be wrong (lower --budget-tokens)`;
}

/** Said on stderr when a model ends its answer before writing anything (stdout stays the answer: empty). */
export function emptyAnswerNote(a: Pick<AskSummary, "answer" | "stoppedBy">): string | undefined {
  if (a.answer.trim() || a.stoppedBy === "cancelled") return undefined;
  const why = a.stoppedBy === "eos" ? ", with its end-of-text token" : a.stoppedBy === "stop" ? ", on a stop sequence" : "";
  return `(no answer: the model ended its turn before writing anything${why})\n`;
}

/** What `--json` prints: the CLI's machine-readable contract (the integration tests read it through these). */
export type ModelJson = ReturnType<typeof modelJson>;
export type AskJson = ModelJson & ReturnType<typeof askJson>;
export type AskQuestionsJson = ModelJson & {ingest: ReturnType<typeof ingestJson>; answers: ReturnType<typeof answerJson>[]};
