/**
 * Bringing a workspace's block store up to date: scan (files whose size and mtime match the manifest are not even
 * read), keep the records of unchanged files, read only new or edited files through the store ingestor, drop deleted
 * ones, then commit one manifest with its block table and lexical index. A reopened, unchanged workspace reads no
 * file and prefills nothing.
 */
import {createHash} from "node:crypto";
import {performance} from "node:perf_hooks";
import {promises as fs} from "node:fs";
import type {LlamaModel, Token} from "node-llama-cpp";
import {DynSplitInputError} from "../../core/errors";
import type {PromptFormat} from "../session/promptFormat";
import type {IngestDocument} from "../session/compressedSession";
import {TokenTexts} from "../session/tokenTexts";
import {BlockStore, recordKey, type ManifestFile, type StoreIdentity} from "../store/blockStore";
import {RecordCorruptError, type DecodedRecord, type FileRecord} from "../store/fileRecord";
import type {BlockTable} from "../store/indexFile";
import {SUMMARY_PARTS} from "../store/blockSummaries";
import {StoreIngestor, type DocumentToRead, type StoreIngestOptions, type StoreIngestProgress} from "../store/storeIngest";
import {scanWorkspace, type SkipReason, type SkippedFile} from "../workspace/scanWorkspace";
import {LexicalIndex} from "./lexicalIndex";
import {BlockTableBuilder, RepositoryIndex} from "./repositoryIndex";

export interface MemorySource {
  roots?: string[];
  documents?: IngestDocument[];
  include?: string[];
  exclude?: string[];
  maxFileBytes?: number;
}

export interface MemoryBuild {
  store: BlockStore;
  index: RepositoryIndex;
  prompt: DecodedRecord;
  /** Tokens prefilled from files by this call (0 when nothing changed). */
  tokensRead: number;
  filesRead: number;
  filesDeleted: number;
  skipped: SkippedFile[];
  skippedByReason: Partial<Record<SkipReason, number>>;
  prefillMs: number;
  windows: number;
  storeBytes: number;
  /** Other workspaces' stores removed to stay within the size cap. */
  evicted: string[];
  /** Where the time went: scanning and planning, reading files (prefill included), the table and lexical index, writing. */
  phasesMs: {scan: number; read: number; index: number; commit: number};
}

export interface MemoryBuildOptions {
  storeRoot: string;
  identity: StoreIdentity;
  ingest: StoreIngestOptions;
  storeMaxBytes: number;
  onProgress?: (p: StoreIngestProgress) => void;
  signal?: AbortSignal;
}

interface Planned {
  path: string;
  size: number;
  mtimeMs: number;
  contentSha: string;
  key: string;
  /** Where its blocks come from. */
  source:
    | {kind: "table"; first: number; old: ManifestFile}
    | {kind: "record"; rec: DecodedRecord}
    | {kind: "read"; content: string; absPath?: string};
}

export async function buildRepositoryMemory(
  model: LlamaModel,
  format: PromptFormat,
  source: MemorySource,
  options: MemoryBuildOptions
): Promise<MemoryBuild> {
  const t0 = performance.now();
  const store = await BlockStore.open(options.storeRoot, options.identity);
  const old = store.manifest;
  const oldTable = await store.loadIndex();
  const oldLexical = oldTable ? await store.loadLexical() : undefined;
  const tableUsable = oldTable != null && oldLexical != null;

  // 1. What is in the workspace now.
  let scanned: {path: string; size: number; mtimeMs: number; contentSha: string; content?: string; absPath?: string}[];
  let skipped: SkippedFile[] = [];
  let skippedByReason: Partial<Record<SkipReason, number>> = {};
  if (source.documents) {
    scanned = [...source.documents]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((d) => ({path: d.path, size: Buffer.byteLength(d.content), mtimeMs: 0, contentSha: sha256(d.content), content: d.content}));
  } else {
    const known = new Map((old?.files ?? []).map((f) => [f.path, {size: f.size, mtimeMs: f.mtimeMs, sha256: f.contentSha}]));
    const scan = await scanWorkspace({
      roots: source.roots ?? [],
      include: source.include,
      exclude: source.exclude,
      maxFileBytes: source.maxFileBytes,
      signal: options.signal,
      known,
    });
    scanned = scan.files.map((f) => ({
      path: f.relPath,
      size: f.bytes,
      mtimeMs: f.mtimeMs,
      contentSha: f.sha256,
      content: f.content,
      absPath: f.absPath,
    }));
    skipped = scan.skipped;
    skippedByReason = scan.skippedByReason;
  }
  if (scanned.length === 0) throw new DynSplitInputError("nothing to read: no text files in the workspace (all were skipped or excluded)");

  // 2. Which files keep their records.
  const oldByPath = new Map((old?.files ?? []).map((f, i) => [f.path, {f, i}]));
  const firstBlockOf: number[] = [];
  if (oldTable) {
    let acc = 0;
    for (const f of old!.files) {
      firstBlockOf.push(acc);
      acc += f.blocks;
    }
  }
  const planned: Planned[] = [];
  for (const s of scanned) {
    const key = recordKey(s.path, s.contentSha);
    const prev = oldByPath.get(s.path);
    let src: Planned["source"] | undefined;
    if (prev && prev.f.record === key && tableUsable && (await store.hasRecord(key, prev.f.bytes)))
      src = {kind: "table", first: firstBlockOf[prev.i], old: prev.f};
    else if (await store.hasRecord(key)) {
      // A record left by an earlier, unfinished ingest (or a file edited back): usable once it verifies.
      const rec = await store.readRecordBody(key).catch((err) => (err instanceof RecordCorruptError ? undefined : Promise.reject(err)));
      if (rec && rec.meta.summaryDim === expectedSummaryDim(options.ingest)) src = {kind: "record", rec};
    }
    if (!src) {
      const content = s.content ?? (await fs.readFile(s.absPath!, "utf8")); // its stat matched, but its record is gone
      src = {kind: "read", content, absPath: s.absPath};
    }
    planned.push({path: s.path, size: s.size, mtimeMs: s.mtimeMs, contentSha: s.contentSha, key, source: src});
  }
  const keyByPath = new Map(planned.map((p) => [p.path, p.key]));
  const deleted = (old?.files ?? []).filter((f) => keyByPath.get(f.path) !== f.record);

  const t1 = performance.now();
  // 3. Read what must be read.
  const toRead = planned.filter((p) => p.source.kind === "read");
  const promptKnown = old != null && tableUsable && (await store.hasRecord(old.prompt.record));
  const newRecords = new Map<string, FileRecord>();
  // The lexical index loses deleted and edited files now and takes new ones as they are read (overlapping the next
  // window's prefill instead of adding to the end of the ingest).
  const lexical = tableUsable ? oldLexical! : LexicalIndex.empty();
  for (const d of deleted) lexical.discardFile(d.record, d.blocks);
  // A file read again under the same key (its record was damaged or lost) replaces its blocks in the index.
  for (const p of toRead) {
    const prev = oldByPath.get(p.path);
    if (prev && prev.f.record === p.key) lexical.discardFile(prev.f.record, prev.f.blocks);
  }
  let tokensRead = 0;
  let prefillMs = 0;
  let windows = 0;
  let prompt: DecodedRecord | undefined = promptKnown ? await store.readRecordBody(old!.prompt.record).catch(() => undefined) : undefined;
  let promptKey = promptKnown && prompt ? old!.prompt.record : "";
  if (toRead.length > 0 || !prompt) {
    const ingestor = await StoreIngestor.create(model, options.ingest);
    try {
      if (!prompt) {
        promptKey = "prompt-" + sha256(Buffer.concat(ingestor.promptRecord.bytes)).slice(0, 24);
        await store.writeRecord(promptKey, ingestor.promptRecord.bytes);
        prompt = await store.readRecordBody(promptKey);
      }
      const docs: DocumentToRead[] = toRead.map((p) => ({
        path: p.path,
        content: (p.source as {content: string}).content,
        contentSha: p.contentSha,
        key: p.key,
      }));
      const result = await ingestor.read(
        docs,
        async (r) => {
          await store.writeRecord(r.doc.key, r.bytes);
          lexical.addFile(r.doc.key, r.doc.path, r.blockTexts);
          newRecords.set(r.doc.key, r.record); // the table needs the record, not its bytes (the kv rows are freed)
        },
        {onProgress: options.onProgress, signal: options.signal}
      );
      tokensRead = result.tokensRead;
      prefillMs = result.prefillMs;
      windows = result.windows;
    } finally {
      await ingestor.dispose();
    }
  }

  const t2 = performance.now();
  // 4. The new table and lexical index, in repository order.
  const dim = expectedSummaryDim(options.ingest);
  const heads = options.ingest.nHeadKv;
  const segments = dim > 0 ? SUMMARY_PARTS * options.identity.summaryLayers.length * heads : 0;
  const builder = new BlockTableBuilder(segments, segments > 0 ? options.ingest.headDimK : 0);
  const texts = new TokenTexts(model);
  const files: ManifestFile[] = [];
  for (const p of planned) {
    let headerTokens: number;
    let bodyTokens: number;
    let blocks: number;
    if (p.source.kind === "table") {
      const o = p.source.old;
      builder.addFromTable(
        {path: p.path, record: p.key, headerTokens: o.headerTokens, bodyTokens: o.bodyTokens, blocks: o.blocks},
        oldTable as BlockTable,
        p.source.first
      );
      ({headerTokens, bodyTokens, blocks} = o);
    } else {
      const rec = p.source.kind === "record" ? p.source.rec : newRecords.get(p.key)!;
      builder.addFromRecord(p.key, rec);
      ({headerTokens, bodyTokens, blocks} = rec.meta);
      if (!lexical.has(`${p.key}#0`)) lexical.addFile(p.key, p.path, recordBlockTexts(rec, texts)); // a record from an earlier ingest
    }
    const bytes = p.source.kind === "table" ? p.source.old.bytes : (await fs.stat(store.recordPath(p.key))).size;
    files.push({
      path: p.path,
      size: p.size,
      mtimeMs: p.mtimeMs,
      contentSha: p.contentSha,
      record: p.key,
      headerTokens,
      bodyTokens,
      blocks,
      bytes,
    });
  }
  const table = builder.build();
  const changed =
    !old ||
    !tableUsable ||
    toRead.length > 0 ||
    deleted.length > 0 ||
    planned.some((p) => p.source.kind !== "table") ||
    old.files.length !== files.length ||
    promptKey !== old.prompt.record;
  const t3 = performance.now();
  if (changed) await store.commit({prompt: {record: promptKey, tokens: prompt!.headerIds.length}, files}, table, lexical);
  else {
    // Sizes and mtimes may have moved without a content change (a touch): keep the manifest's view current.
    store.manifest!.files = files;
    await store.touch();
  }
  const evicted = await BlockStore.enforceCap(options.storeRoot, options.storeMaxBytes, store.dir);
  const t4 = performance.now();
  return {
    store,
    index: new RepositoryIndex(builder.files, table, lexical),
    prompt: prompt!,
    tokensRead,
    filesRead: toRead.length,
    filesDeleted: (old?.files ?? []).filter((f) => !keyByPath.has(f.path)).length,
    skipped,
    skippedByReason,
    prefillMs,
    windows,
    storeBytes: store.manifest!.totalBytes,
    evicted,
    phasesMs: {scan: t1 - t0, read: t2 - t1, index: t3 - t2, commit: t4 - t3},
  };
}

function expectedSummaryDim(o: StoreIngestOptions): number {
  return o.rope && o.kvReadable ? SUMMARY_PARTS * o.summaryLayers.length * o.nHeadKv * o.headDimK : 0;
}

function recordBlockTexts(rec: FileRecord, texts: TokenTexts): string[] {
  const out: string[] = [];
  for (let b = 0; b < rec.meta.blocks; b++) {
    let s = "";
    for (let t = rec.offsets[b]; t < rec.offsets[b + 1]; t++) s += texts.of(rec.bodyIds[t] as Token);
    out.push(s);
  }
  return out;
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
