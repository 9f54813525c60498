/**
 * Real source files from node_modules, split by package into a training pool and a held-out
 * pool (the held-out pool, incl. all of `typescript`, is never seen in training).
 */
import {readFileSync, readdirSync, statSync} from "node:fs";
import {join, relative} from "node:path";
import {hashString} from "../../src/corpus";

export interface RealCodePools {
  train: string[];
  /** The training pool with each file's path inside node_modules. */
  trainFiles: {path: string; text: string}[];
  heldOut: Record<string, string>[];
}

const CODE_EXT = /\.(ts|js|mjs|cjs|py)$/;

function walk(dir: string, out: string[], limit: number): void {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const name of entries) {
    if (out.length >= limit) return;
    const p = join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) walk(p, out, limit);
    else if (CODE_EXT.test(name) && !name.endsWith(".min.js") && st.size > 1500 && st.size < 300_000) out.push(p);
  }
}

/** Package name of a path inside node_modules (handles @scope/name). */
function packageOf(root: string, file: string): string {
  const parts = relative(root, file).split("/");
  return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
}

const isHeldOut = (pkg: string) => pkg === "typescript" || hashString(pkg) % 5 === 0;

/** Collect the pools. `maxFiles` bounds the walk so it stays fast. */
export function collectRealCode(root: string, maxFiles = 3000): RealCodePools {
  const files: string[] = [];
  walk(root, files, maxFiles);
  walk(join(root, "typescript/lib"), files, maxFiles + 200);
  const train: string[] = [];
  const trainFiles: {path: string; text: string}[] = [];
  const heldOut: Record<string, string>[] = [];
  for (const f of [...new Set(files)]) {
    const text = readFileSync(f, "utf8").replace(/\r\n/g, "\n");
    if (!/\n/.test(text) || text.split("\n").some((l) => l.length > 2000)) continue; // skip bundled one-liners
    if (isHeldOut(packageOf(root, f))) heldOut.push({[relative(root, f)]: text});
    else {
      train.push(text);
      trainFiles.push({path: relative(root, f), text});
    }
  }
  return {train, trainFiles, heldOut};
}

/**
 * Real Python for training: the packages Debian's python3-torch brings with it (training needs it anyway, so every
 * machine that trains has them). Never the standard library (/usr/lib/python3.x), which is the real-code evaluation;
 * test folders are left out. Without Python in training, the evaluation's tokens (`self`, `def`, `elif`, ...) reach
 * the model with embeddings that only the rare Python in node_modules ever trained.
 */
export const TRAINING_PYTHON_ROOT = "/usr/lib/python3/dist-packages";
export const TRAINING_PYTHON_PACKAGES = ["torch", "numpy", "sympy"];

export function collectTrainingPython(maxFiles = 2500): {path: string; text: string}[] {
  const files: string[] = [];
  for (const pkg of TRAINING_PYTHON_PACKAGES)
    walk(join(TRAINING_PYTHON_ROOT, pkg), files, files.length + Math.ceil(maxFiles / TRAINING_PYTHON_PACKAGES.length));
  const out: {path: string; text: string}[] = [];
  for (const f of files) {
    const path = relative(TRAINING_PYTHON_ROOT, f);
    if (!f.endsWith(".py") || /(^|\/)(tests?|testing)(\/|$)/.test(path)) continue;
    const text = readFileSync(f, "utf8").replace(/\r\n/g, "\n");
    if (!/\n/.test(text) || text.split("\n").some((l) => l.length > 2000)) continue;
    out.push({path, text});
  }
  return out;
}
