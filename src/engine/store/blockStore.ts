/**
 * The block store of one workspace and model, on disk under `<cache>/store/<key>/`:
 *   manifest.json   what was read: every file (path, size, mtime, content hash, its record), the store's identity
 *   records/*.rec   one record per file (fileRecord.ts), content-addressed by path and content hash
 *   index.bin       the block table and dense summary matrix of the whole repository (indexFile.ts)
 *   lexical.json    the BM25 index of every block's text (memory/lexicalIndex.ts)
 * The manifest is written last and atomically: until it is, readers see the previous complete store. Anything that
 * does not verify (another model, runtime or format version, a checksum mismatch, a truncated file) is rebuilt,
 * never used. Whole workspaces are evicted least-recently-used beyond a size cap.
 */
import {createHash} from "node:crypto";
import {existsSync, promises as fs} from "node:fs";
import path from "node:path";
import {decodeRecord, RECORD_HEAD_BYTES, recordBodyEnd, RecordCorruptError, RECORD_VERSION, type DecodedRecord} from "./fileRecord";
import {decodeIndex, encodeIndex, type BlockTable} from "./indexFile";
import {folderBytes, NODE_STORE_IO, writeAtomic, type StoreIo} from "./storeIo";
import {LexicalIndex} from "../memory/lexicalIndex";

/** Bump when anything that decides the records' content changes. */
export const STORE_VERSION = 2;

/** Everything a store's content depends on; a store is only used when all of it matches. */
export interface StoreIdentity {
  storeVersion: number;
  recordVersion: number;
  model: {fingerprint: string; name: string};
  runtime: {nodeLlamaCpp: string; llamaCpp: string};
  /** The prompt format's name and its header for a sample path (headers are part of the records). */
  format: string;
  segmentation: {name: string; options: Readonly<Record<string, number>>};
  /** Tokens per ingest window (the context the keys were computed in). */
  windowTokens: number;
  /** Whether records keep every token's K/V rows (the `restore` placement). */
  kv: boolean;
  /** Element type of the cached keys the records were read from (f16, q8_0, q4_0). */
  kvCacheType: string;
  /** Cache layers whose mean keys make the block summaries. */
  summaryLayers: number[];
  /** The workspace: its folders (absolute), or a hash of documents given directly. */
  workspace: string;
}

export interface ManifestFile {
  path: string;
  size: number;
  mtimeMs: number;
  contentSha: string;
  record: string;
  headerTokens: number;
  bodyTokens: number;
  blocks: number;
  bytes: number;
}

export interface StoreManifest {
  version: number;
  identity: StoreIdentity;
  createdAt: number;
  updatedAt: number;
  lastUsedAt: number;
  /** The record holding BOS and the format's preamble (the pinned sink every context starts with). */
  prompt: {record: string; tokens: number};
  /** In repository order (sorted by path). */
  files: ManifestFile[];
  /** Bytes of the whole store folder after the last commit. */
  totalBytes: number;
}

export function storeKey(identity: StoreIdentity): string {
  return createHash("sha256").update(JSON.stringify(identity)).digest("hex").slice(0, 32);
}

export function recordKey(filePath: string, contentSha: string): string {
  return createHash("sha256").update(`${filePath}\0${contentSha}`).digest("hex").slice(0, 32);
}

/** What ties an index and a lexical file to one manifest: the ordered list of its records. */
export function manifestFingerprint(files: readonly ManifestFile[], promptRecord: string): string {
  const h = createHash("sha256").update(promptRecord);
  for (const f of files) h.update(`\n${f.record}:${f.blocks}`);
  return h.digest("hex").slice(0, 32);
}

export class BlockStore {
  /** Records whose kv section was verified in this process. */
  private readonly verified = new Set<string>();

  private constructor(
    readonly dir: string,
    readonly identity: StoreIdentity,
    /** The last complete manifest, or undefined for a new (or stale, now discarded) store. */
    public manifest: StoreManifest | undefined,
    private readonly io: StoreIo
  ) {}

  /** Opens (or prepares) the store of `identity` under `root`. A manifest that does not match is ignored. */
  static async open(root: string, identity: StoreIdentity, io: StoreIo = NODE_STORE_IO): Promise<BlockStore> {
    const dir = path.join(root, storeKey(identity));
    let manifest: StoreManifest | undefined;
    try {
      const m = JSON.parse(await fs.readFile(path.join(dir, "manifest.json"), "utf8")) as StoreManifest;
      if (m.version === STORE_VERSION && JSON.stringify(m.identity) === JSON.stringify(identity) && Array.isArray(m.files)) manifest = m;
    } catch {
      manifest = undefined; // missing or unreadable: a new store
    }
    return new BlockStore(dir, identity, manifest, io);
  }

  recordPath(key: string): string {
    return path.join(this.dir, "records", `${key}.rec`);
  }

  /** True when the record file exists with the size the manifest (or its own head) says it has. */
  async hasRecord(key: string, expectedBytes?: number): Promise<boolean> {
    const st = await fs.stat(this.recordPath(key)).catch(() => null);
    if (!st?.isFile()) return false;
    return expectedBytes == null || st.size === expectedBytes;
  }

  /** Writes a record (one buffer, or its parts back to back) atomically. */
  async writeRecord(key: string, bytes: Uint8Array | readonly Uint8Array[]): Promise<void> {
    await fs.mkdir(path.join(this.dir, "records"), {recursive: true});
    await writeAtomic(this.io, this.recordPath(key), bytes);
  }

  /** Deletes a record that failed to verify, so the next ingest reads its file again. */
  async discardRecord(key: string): Promise<void> {
    this.verified.delete(key);
    await fs.rm(this.recordPath(key), {force: true});
  }

  /** Reads a record's tokens, lines, blocks and summaries (not its kv rows), verified. */
  async readRecordBody(key: string): Promise<DecodedRecord> {
    return withKey(key, () => this.readBody(key));
  }

  private async readBody(key: string): Promise<DecodedRecord> {
    const fh = await fs.open(this.recordPath(key), "r").catch(() => {
      throw new RecordCorruptError(`record ${key} is missing`);
    });
    try {
      const head = new Uint8Array(RECORD_HEAD_BYTES);
      const {bytesRead} = await fh.read(head, 0, head.length, 0);
      if (bytesRead < head.length) throw new RecordCorruptError(`record ${key} is truncated`);
      const end = recordBodyEnd(head);
      const bytes = new Uint8Array(end);
      const r = await fh.read(bytes, 0, end, 0);
      if (r.bytesRead < end) throw new RecordCorruptError(`record ${key} is truncated`);
      return decodeRecord(bytes);
    } finally {
      await fh.close();
    }
  }

  /** Reads and verifies a whole record, kv section included (once per process for its kv). */
  async readRecordVerified(key: string): Promise<DecodedRecord> {
    return withKey(key, async () => {
      const bytes = await fs.readFile(this.recordPath(key)).catch(() => {
        throw new RecordCorruptError(`record ${key} is missing`);
      });
      const rec = decodeRecord(bytes, {verifyKv: true});
      this.verified.add(key);
      return rec;
    });
  }

  /** The kv rows of tokens [from, to) of a record (its header first, then its body), verified on first use. */
  async readKvRows(key: string, rec: DecodedRecord, from: number, to: number): Promise<Uint8Array> {
    const stride = rec.meta.kv?.stride;
    if (!stride) throw new RecordCorruptError(`record ${key} holds no kv rows`);
    if (!this.verified.has(key)) await this.readRecordVerified(key);
    return withKey(key, async () => {
      const out = new Uint8Array((to - from) * stride);
      const fh = await fs.open(this.recordPath(key), "r");
      try {
        const r = await fh.read(out, 0, out.length, rec.kvOffset + from * stride);
        if (r.bytesRead < out.length) throw new RecordCorruptError(`record ${key} is truncated`);
      } finally {
        await fh.close();
      }
      return out;
    });
  }

  /** The block table and summary matrix of the current manifest, or undefined when it is missing or does not verify. */
  async loadIndex(): Promise<BlockTable | undefined> {
    if (!this.manifest) return undefined;
    try {
      return decodeIndex(
        await fs.readFile(path.join(this.dir, "index.bin")),
        manifestFingerprint(this.manifest.files, this.manifest.prompt.record)
      );
    } catch {
      return undefined;
    }
  }

  /** The BM25 index of the current manifest, or undefined when it is missing or does not verify. */
  async loadLexical(): Promise<LexicalIndex | undefined> {
    if (!this.manifest) return undefined;
    try {
      const text = await fs.readFile(path.join(this.dir, "lexical.json"), "utf8");
      const {fingerprint, sha, index} = JSON.parse(text) as {fingerprint: string; sha: string; index: string};
      if (fingerprint !== manifestFingerprint(this.manifest.files, this.manifest.prompt.record)) return undefined;
      if (createHash("sha256").update(index).digest("hex") !== sha) return undefined;
      return LexicalIndex.fromJSON(index);
    } catch {
      return undefined;
    }
  }

  /**
   * Makes a new manifest current: writes the index and the lexical index, then the manifest (atomically, last), then
   * removes records no manifest refers to any more (deleted or edited files).
   */
  async commit(
    next: Omit<StoreManifest, "version" | "identity" | "totalBytes" | "updatedAt" | "lastUsedAt" | "createdAt">,
    table: BlockTable,
    lexical: LexicalIndex
  ): Promise<StoreManifest> {
    await fs.mkdir(this.dir, {recursive: true});
    const fingerprint = manifestFingerprint(next.files, next.prompt.record);
    await writeAtomic(this.io, path.join(this.dir, "index.bin"), encodeIndex(table, fingerprint));
    const index = lexical.toJSON();
    await writeAtomic(
      this.io,
      path.join(this.dir, "lexical.json"),
      JSON.stringify({fingerprint, sha: createHash("sha256").update(index).digest("hex"), index})
    );
    const now = Date.now();
    const manifest: StoreManifest = {
      version: STORE_VERSION,
      identity: this.identity,
      createdAt: this.manifest?.createdAt ?? now,
      updatedAt: now,
      lastUsedAt: now,
      ...next,
      totalBytes: 0,
    };
    await this.removeOrphans(manifest);
    manifest.totalBytes = await folderBytes(this.dir);
    await writeAtomic(this.io, path.join(this.dir, "manifest.json"), JSON.stringify(manifest));
    this.manifest = manifest;
    return manifest;
  }

  /** Marks the store as used now (for LRU eviction); a failure to write it is not worth an error. */
  async touch(): Promise<void> {
    if (!this.manifest) return;
    this.manifest.lastUsedAt = Date.now();
    await writeAtomic(this.io, path.join(this.dir, "manifest.json"), JSON.stringify(this.manifest)).catch(() => undefined);
  }

  private async removeOrphans(manifest: StoreManifest) {
    const keep = new Set([manifest.prompt.record, ...manifest.files.map((f) => f.record)]);
    const dir = path.join(this.dir, "records");
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      const key = name.replace(/\.rec$/, "");
      if (!keep.has(key) || name.includes(".tmp-")) await fs.rm(path.join(dir, name), {force: true});
    }
  }

  /**
   * Keeps all stores under `root` within `capBytes` by deleting whole workspaces, least recently used first; the
   * store in `keepDir` (the one in use) is never deleted. Returns the folders removed.
   */
  static async enforceCap(root: string, capBytes: number, keepDir: string): Promise<string[]> {
    const names = await fs.readdir(root).catch(() => [] as string[]);
    const stores: {dir: string; bytes: number; used: number}[] = [];
    for (const name of names) {
      const dir = path.join(root, name);
      let used = 0;
      let bytes: number;
      try {
        const m = JSON.parse(await fs.readFile(path.join(dir, "manifest.json"), "utf8")) as StoreManifest;
        used = m.lastUsedAt ?? 0;
        bytes = m.totalBytes ?? (await folderBytes(dir));
      } catch {
        bytes = await folderBytes(dir); // an unfinished or foreign folder: evicted first
      }
      stores.push({dir, bytes, used});
    }
    let total = stores.reduce((a, s) => a + s.bytes, 0);
    const removed: string[] = [];
    for (const s of stores.sort((a, b) => a.used - b.used)) {
      if (total <= capBytes) break;
      if (path.resolve(s.dir) === path.resolve(keepDir)) continue;
      await fs.rm(s.dir, {recursive: true, force: true});
      total -= s.bytes;
      removed.push(s.dir);
    }
    return removed;
  }

  static exists(root: string, identity: StoreIdentity): boolean {
    return existsSync(path.join(root, storeKey(identity), "manifest.json"));
  }
}

/** Runs a record read, tagging a RecordCorruptError with the record's key. */
async function withKey<T>(key: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof RecordCorruptError) err.recordKey = key;
    throw err;
  }
}

export {RECORD_VERSION};
