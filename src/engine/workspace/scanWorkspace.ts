import {createHash} from "node:crypto";
import {promises as fs, type Dirent} from "node:fs";
import path from "node:path";
import ignore, {type Ignore} from "ignore";
import {isBinaryFile} from "isbinaryfile";
import picomatch from "picomatch";

/** Folders and files nobody wants in a model's context; the user's `exclude` globs come on top. */
export const DEFAULT_EXCLUDES = [
  "**/node_modules/**",
  "**/.git/**",
  "**/.hg/**",
  "**/.svn/**",
  "**/dist/**",
  "**/out/**",
  "**/build/**",
  "**/.vscode-test/**",
  "**/.vscode/**",
  "**/coverage/**",
  "**/__pycache__/**",
  "**/.venv/**",
  "**/*.min.js",
  "**/*.map",
  "**/package-lock.json",
  "**/yarn.lock",
  "**/pnpm-lock.yaml",
  "**/*.gguf",
];

export const DEFAULT_MAX_FILE_BYTES = 256 * 1024;

export interface ScanOptions {
  /** Workspace folders (absolute). Several roots = a multi-root workspace; paths are then prefixed by the folder name. */
  roots: readonly string[];
  /** Only files matching one of these globs (relative to their root) are read; default: all. */
  include?: readonly string[];
  /** Globs excluded on top of DEFAULT_EXCLUDES and .gitignore. */
  exclude?: readonly string[];
  maxFileBytes?: number;
  respectGitignore?: boolean;
  /** Stop after this many files (a guard against scanning a home folder by mistake). */
  maxFiles?: number;
  signal?: AbortSignal;
  /**
   * Files seen before (relPath → size, mtime, content hash): a file whose size and mtime still match is not read
   * again (git's index does the same), its content is left undefined and its hash is taken from here.
   */
  known?: ReadonlyMap<string, {size: number; mtimeMs: number; sha256: string}>;
}

export type SkipReason = "binary" | "too-large" | "excluded" | "gitignored" | "outside-workspace" | "unreadable" | "limit";

export interface ScannedFile {
  /** Path shown to the model and the user: posix, relative to its root (prefixed with the root's name in multi-root). */
  relPath: string;
  absPath: string;
  bytes: number;
  mtimeMs: number;
  /** Undefined only when `known` vouched for the file (unchanged since it was last read). */
  content?: string;
  sha256: string;
}

export interface SkippedFile {
  relPath: string;
  reason: SkipReason;
}

export interface ScanResult {
  files: ScannedFile[];
  /** Every skipped file or folder with its reason (folders pruned by .gitignore or excludes count once). */
  skipped: SkippedFile[];
  skippedByReason: Record<SkipReason, number>;
  totalBytes: number;
  /** sha256 over every file's path and content hash: equal iff the ingested text is equal. */
  contentHash: string;
}

/**
 * Walks the workspace folders: honours .gitignore files (nested ones too, via the `ignore` package), default
 * and user excludes (picomatch globs), a per-file size cap; skips binaries (`isbinaryfile`) and anything a
 * symlink would pull in from outside the workspace. Output is sorted by path, so it is deterministic.
 */
export async function scanWorkspace(options: ScanOptions): Promise<ScanResult> {
  if (options.roots.length === 0) throw new Error("no workspace folder to read: open a folder first");
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxFiles = options.maxFiles ?? 20000;
  const excluded = picomatch([...DEFAULT_EXCLUDES, ...(options.exclude ?? [])], {dot: true});
  const included = options.include && options.include.length > 0 ? picomatch([...options.include], {dot: true}) : () => true;
  const files: ScannedFile[] = [];
  const skipped: SkippedFile[] = [];
  const multiRoot = options.roots.length > 1;

  for (const root of options.roots) {
    const rootReal = await fs.realpath(root).catch(() => {
      throw new Error(`workspace folder not found: ${root}`);
    });
    const rootStat = await fs.stat(rootReal);
    if (!rootStat.isDirectory()) throw new Error(`not a folder: ${root}`);
    const label = multiRoot ? path.basename(rootReal) + "/" : "";

    const walk = async (dirReal: string, rel: string, ignores: {base: string; ig: Ignore}[]) => {
      options.signal?.throwIfAborted();
      let entries: Dirent[];
      try {
        entries = await fs.readdir(dirReal, {withFileTypes: true});
      } catch {
        skipped.push({relPath: label + (rel || "."), reason: "unreadable"});
        return;
      }
      let local = ignores;
      if (options.respectGitignore !== false && entries.some((e) => e.name === ".gitignore" && e.isFile())) {
        const text = await fs.readFile(path.join(dirReal, ".gitignore"), "utf8").catch(() => "");
        local = [...ignores, {base: rel, ig: ignore().add(text)}];
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const childRel = rel ? `${rel}/${entry.name}` : entry.name;
        const shown = label + childRel;
        let abs = path.join(dirReal, entry.name);
        let isDir = entry.isDirectory();
        let isFile = entry.isFile();
        if (entry.isSymbolicLink()) {
          // Follow a link only if its target stays inside this workspace folder.
          const target = await fs.realpath(abs).catch(() => null);
          if (!target || (target !== rootReal && !target.startsWith(rootReal + path.sep))) {
            skipped.push({relPath: shown, reason: "outside-workspace"});
            continue;
          }
          const st = await fs.stat(target);
          abs = target;
          isDir = st.isDirectory();
          isFile = st.isFile();
          if (isDir) continue; // linked folders would be walked twice (or loop); their real path is walked already
        }
        if (!isDir && !isFile) continue;
        const probe = isDir ? `${childRel}/` : childRel;
        if (isIgnored(local, probe)) {
          skipped.push({relPath: shown, reason: "gitignored"});
          continue;
        }
        if (excluded(probe) || (isDir && excluded(`${childRel}/x`))) {
          skipped.push({relPath: shown, reason: "excluded"});
          continue;
        }
        if (isDir) {
          await walk(abs, childRel, local);
          continue;
        }
        if (!included(childRel)) continue;
        if (files.length >= maxFiles) {
          skipped.push({relPath: shown, reason: "limit"});
          continue;
        }
        const file = await readTextFile(abs, shown, maxBytes, skipped, options.known?.get(shown));
        if (file) files.push(file);
      }
    };
    await walk(rootReal, "", []);
  }

  const skippedByReason = {binary: 0, "too-large": 0, excluded: 0, gitignored: 0, "outside-workspace": 0, unreadable: 0, limit: 0};
  for (const s of skipped) skippedByReason[s.reason]++;
  const hash = createHash("sha256");
  for (const f of files) hash.update(f.relPath).update("\0").update(f.sha256).update("\0");
  return {files, skipped, skippedByReason, totalBytes: files.reduce((a, f) => a + f.bytes, 0), contentHash: hash.digest("hex")};
}

function isIgnored(ignores: {base: string; ig: Ignore}[], relPath: string): boolean {
  for (const {base, ig} of ignores) {
    const sub = base ? (relPath.startsWith(base + "/") ? relPath.slice(base.length + 1) : null) : relPath;
    if (sub && ig.ignores(sub)) return true;
  }
  return false;
}

async function readTextFile(
  abs: string,
  shown: string,
  maxBytes: number,
  skipped: SkippedFile[],
  known?: {size: number; mtimeMs: number; sha256: string}
): Promise<ScannedFile | null> {
  try {
    const st = await fs.stat(abs);
    if (st.size > maxBytes) {
      skipped.push({relPath: shown, reason: "too-large"});
      return null;
    }
    if (known && known.size === st.size && known.mtimeMs === st.mtimeMs)
      return {relPath: shown, absPath: abs, bytes: st.size, mtimeMs: st.mtimeMs, sha256: known.sha256};
    const buf = await fs.readFile(abs);
    if (await isBinaryFile(buf, buf.length)) {
      skipped.push({relPath: shown, reason: "binary"});
      return null;
    }
    const content = buf.toString("utf8");
    return {
      relPath: shown,
      absPath: abs,
      bytes: buf.length,
      mtimeMs: st.mtimeMs,
      content,
      sha256: createHash("sha256").update(buf).digest("hex"),
    };
  } catch {
    skipped.push({relPath: shown, reason: "unreadable"});
    return null;
  }
}
