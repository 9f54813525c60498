/**
 * Real tokenizers for test models: llama.cpp's vocabulary-only GGUFs (`models/ggml-vocab-*.gguf`), taken from the
 * llama.cpp source that node-llama-cpp ships. After `node-llama-cpp source download` they lie in its source tree;
 * otherwise (a fresh `npm ci` with the probe build restored from its cache) the one file is read out of the git
 * bundle node-llama-cpp carries (`llama/gitRelease.bundle`, offline, about a second) into a cache folder.
 */
import {execFileSync} from "node:child_process";
import {existsSync, mkdirSync, renameSync, writeFileSync} from "node:fs";
import {createRequire} from "node:module";
import os from "node:os";
import path from "node:path";

export const REAL_VOCABS = ["llama-bpe", "qwen2", "phi-3", "gemma-4", "gpt-neox", "deepseek-coder", "starcoder"] as const;
export type RealVocab = (typeof REAL_VOCABS)[number];

function nodeLlamaCppLlamaDir(): string {
  const require = createRequire(import.meta.url);
  let dir = path.dirname(require.resolve("node-llama-cpp"));
  while (!existsSync(path.join(dir, "llama", "gitRelease.bundle")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, "llama");
}

export function realVocabFile(name: RealVocab, cacheDir = path.join(os.homedir(), ".cache", "dynsplit", "vocab")): string {
  const llamaDir = nodeLlamaCppLlamaDir();
  const file = `ggml-vocab-${name}.gguf`;
  const inSource = path.join(llamaDir, "llama.cpp", "models", file);
  if (existsSync(inSource)) return inSource;
  const cached = path.join(cacheDir, file);
  if (existsSync(cached)) return cached;
  const bundle = path.join(llamaDir, "gitRelease.bundle");
  if (!existsSync(bundle)) throw new Error(`no llama.cpp source or git bundle under ${llamaDir}: cannot find ${file}`);
  const repo = path.join(cacheDir, "bundle.git");
  mkdirSync(cacheDir, {recursive: true});
  if (!existsSync(repo)) execFileSync("git", ["init", "-q", "--bare", repo]);
  execFileSync("git", ["-C", repo, "fetch", "-q", bundle, "HEAD"]);
  const bytes = execFileSync("git", ["-C", repo, "show", `FETCH_HEAD:models/${file}`], {maxBuffer: 1 << 30});
  const tmp = `${cached}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, cached);
  return cached;
}
