import {createHash} from "node:crypto";
import {existsSync, promises as fs} from "node:fs";
import path from "node:path";
import type {SessionSnapshot} from "../session/compressedSession";

/** Bump when the snapshot layout or anything that changes kept tokens changes. */
const CACHE_VERSION = 1;

/**
 * Compressed workspaces on disk: the KV state of the sequence (`saveStateToFile`) plus its token ledger and
 * block map, keyed by everything that decides what is kept: model file, method and options, budget, signal,
 * question (when query-aware) and the content hash of every file read. A changed file changes the key, so a
 * stale entry is never used; old entries are pruned beyond `maxEntries`.
 */
export class PersistentCache {
  constructor(
    readonly dir: string,
    private readonly maxEntries = 8
  ) {}

  static key(parts: Record<string, unknown>): string {
    return createHash("sha256")
      .update(JSON.stringify({v: CACHE_VERSION, ...parts}))
      .digest("hex")
      .slice(0, 32);
  }

  entryDir(key: string): string {
    return path.join(this.dir, key);
  }

  async load(key: string): Promise<{stateFile: string; snapshot: SessionSnapshot; extra: Record<string, unknown>} | undefined> {
    const dir = this.entryDir(key);
    const stateFile = path.join(dir, "state.bin");
    const metaFile = path.join(dir, "meta.json");
    if (!existsSync(stateFile) || !existsSync(metaFile)) return undefined;
    try {
      const meta = JSON.parse(await fs.readFile(metaFile, "utf8"));
      const now = new Date();
      await fs.utimes(metaFile, now, now); // recency for pruning
      return {stateFile, snapshot: meta.snapshot, extra: meta.extra ?? {}};
    } catch {
      return undefined; // a half-written or corrupt entry is a miss
    }
  }

  /** Writes an entry; `saveState` writes the KV state file to the path it is given. */
  async save(key: string, saveState: (file: string) => Promise<unknown>, snapshot: SessionSnapshot, extra: Record<string, unknown>) {
    const dir = this.entryDir(key);
    const tmp = `${dir}.tmp-${process.pid}`;
    await fs.rm(tmp, {recursive: true, force: true});
    await fs.mkdir(tmp, {recursive: true});
    await saveState(path.join(tmp, "state.bin"));
    await fs.writeFile(path.join(tmp, "meta.json"), JSON.stringify({snapshot, extra}));
    await fs.rm(dir, {recursive: true, force: true});
    await fs.rename(tmp, dir); // atomic: readers never see a partial entry
    await this.prune();
  }

  async clear() {
    await fs.rm(this.dir, {recursive: true, force: true});
  }

  private async prune() {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const entries = await Promise.all(
      names
        .filter((n) => !n.includes(".tmp-"))
        .map(async (n) => ({n, t: (await fs.stat(path.join(this.dir, n, "meta.json")).catch(() => null))?.mtimeMs ?? 0}))
    );
    entries.sort((a, b) => b.t - a.t);
    for (const e of entries.slice(this.maxEntries)) await fs.rm(path.join(this.dir, e.n), {recursive: true, force: true});
  }
}
