/**
 * File writes of the block store: every file is written to a temporary name and renamed into place, so a reader
 * never sees half a file and a failed write leaves the last good one. A full disk (ENOSPC, EDQUOT) becomes one clear
 * error instead of a stack trace. The functions are injectable so tests can fail a write on purpose.
 */
import {promises as fs} from "node:fs";
import path from "node:path";
import {DynSplitInputError} from "../../core/errors";

export interface StoreIo {
  /** Writes a string, or buffers back to back (no concatenation in memory). */
  writeFile(file: string, data: string | readonly Uint8Array[]): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

export const NODE_STORE_IO: StoreIo = {
  writeFile: async (file, data) => {
    if (typeof data === "string") return fs.writeFile(file, data);
    const fh = await fs.open(file, "w");
    try {
      let position = 0;
      for (const part of data) {
        let done = 0;
        while (done < part.length) {
          const {bytesWritten} = await fh.write(part, done, part.length - done, position);
          done += bytesWritten;
          position += bytesWritten;
        }
      }
    } finally {
      await fh.close();
    }
  },
  rename: (from, to) => fs.rename(from, to),
};

export class StoreDiskFullError extends DynSplitInputError {
  constructor(dir: string, cause: unknown) {
    super(
      `the disk is full: the block store in ${dir} could not be written (${cause instanceof Error ? cause.message : String(cause)}); ` +
        "the last complete store is kept. Free some space, or lower dynsplit.storeMaxBytes"
    );
    this.name = "StoreDiskFullError";
  }
}

let tmpCounter = 0;

export async function writeAtomic(io: StoreIo, file: string, data: string | Uint8Array | readonly Uint8Array[]): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${tmpCounter++}`;
  try {
    await io.writeFile(tmp, data instanceof Uint8Array ? [data] : data);
    await io.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, {force: true}).catch(() => undefined);
    if (isDiskFull(err)) throw new StoreDiskFullError(path.dirname(file), err);
    throw err;
  }
}

export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}

/** Bytes under a folder (files only, not following links). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await fs.readdir(dir, {withFileTypes: true}).catch(() => []);
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await folderBytes(p);
    else if (e.isFile()) total += (await fs.stat(p).catch(() => ({size: 0}))).size;
  }
  return total;
}
