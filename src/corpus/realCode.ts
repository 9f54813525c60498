/**
 * Real source files from this machine, for benchmarks on code nobody here wrote: the Python standard library
 * (Debian's /usr/lib/python3.x) first, else TypeScript's own sources from node_modules. Files are picked in a
 * seeded order until the target size is reached, so a workspace is reproducible on the same machine.
 */
import {existsSync, readdirSync, readFileSync, statSync} from "node:fs";
import path from "node:path";
import {Rng} from "./rng";

export interface RealCodeOptions {
  /** Stop once the files hold this many characters. */
  chars: number;
  seed: number | string;
  /** Folder to read instead of the defaults. */
  root?: string;
  /** Largest file taken (characters). Defaults to 60,000. */
  maxFileChars?: number;
}

export function defaultRealCodeRoot(): string {
  const lib = "/usr/lib";
  const python = existsSync(lib)
    ? readdirSync(lib)
        .filter((n) => /^python3\.\d+$/.test(n))
        .sort()
        .pop()
    : undefined;
  if (python) return path.join(lib, python);
  const ts = path.resolve("node_modules/typescript/lib");
  if (existsSync(ts)) return ts;
  throw new Error("no real code found on this machine (neither /usr/lib/python3.x nor node_modules/typescript)");
}

const SKIP = /(^|\/)(test|tests|__pycache__|site-packages|dist-packages|idlelib|lib2to3|tkinter|turtledemo)(\/|$)/;

/** Candidate files under a root, listed once per process (an eval draws hundreds of workspaces from one tree). */
const listings = new Map<string, readonly string[]>();

function listRealCode(root: string, maxFileChars: number): readonly string[] {
  const id = `${root}\0${maxFileChars}`;
  const known = listings.get(id);
  if (known) return known;
  const all: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const rel = path.relative(root, p);
      if (SKIP.test(rel)) continue;
      const st = statSync(p, {throwIfNoEntry: false});
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (/\.(py|ts|js)$/.test(name) && !name.endsWith(".d.ts") && st.size > 400 && st.size <= maxFileChars) all.push(rel);
    }
  };
  walk(root);
  listings.set(id, all);
  return all;
}

export function realCodeFiles(options: RealCodeOptions): Record<string, string> {
  const root = options.root ?? defaultRealCodeRoot();
  const all = [...listRealCode(root, options.maxFileChars ?? 60_000)];
  new Rng(`real:${options.seed}`).shuffle(all);
  const out: Record<string, string> = {};
  let chars = 0;
  for (const rel of all) {
    if (chars >= options.chars) break;
    const text = readFileSync(path.join(root, rel), "utf8").replace(/\r\n/g, "\n");
    if (text.split("\n").some((l) => l.length > 400)) continue; // generated or minified
    out[rel] = text;
    chars += text.length;
  }
  if (chars < options.chars) throw new Error(`only ${chars} characters of real code under ${root}, ${options.chars} wanted`);
  return out;
}
