import {existsSync, readFileSync, statSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {validateGgufFile} from "../gguf/ggufHeader";
import type {ModelCard} from "../session/promptFormat";

/** Where a model comes from: the bundled one, a GGUF path, or an `hf:` URI resolved by node-llama-cpp's downloader. */
export type ModelSpec = "bundled" | `hf:${string}` | string;

export interface ResolvedModel {
  path: string;
  /** The bundled model's template card, when this is the bundled model. */
  card?: ModelCard;
  fileSize: number;
}

export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelError";
  }
}

export function bundledCard(packageRoot: string): ModelCard {
  const cardPath = path.join(packageRoot, "models", "card.json");
  if (!existsSync(cardPath)) throw new ModelError(`the bundled model card is missing: ${cardPath}`);
  return JSON.parse(readFileSync(cardPath, "utf8")) as ModelCard;
}

/**
 * Turns a spec into a local, validated GGUF file. The header is checked before llama.cpp ever sees the file:
 * a malformed GGUF can abort the whole process inside llama.cpp. `hf:` URIs download through node-llama-cpp.
 */
export async function resolveModel(
  spec: ModelSpec | undefined,
  options: {packageRoot: string; downloadDir: string; onDownloadProgress?: (done: number, total: number) => void; signal?: AbortSignal}
): Promise<ResolvedModel> {
  let file: string;
  let card: ModelCard | undefined;
  if (!spec || spec === "bundled") {
    card = bundledCard(options.packageRoot);
    file = path.join(options.packageRoot, "models", card.model);
  } else if (spec.startsWith("hf:") || spec.startsWith("https://")) {
    const {resolveModelFile} = await import("node-llama-cpp");
    try {
      file = await resolveModelFile(spec, {
        directory: options.downloadDir,
        signal: options.signal,
        cli: false,
        onProgress: ({downloadedSize, totalSize}) => options.onDownloadProgress?.(downloadedSize, totalSize),
      });
    } catch (err) {
      throw new ModelError(`could not download ${spec}: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else {
    file = path.resolve(spec.startsWith("~/") ? path.join(os.homedir(), spec.slice(2)) : spec);
    if (!existsSync(file)) throw new ModelError(`model file not found: ${file}`);
    if (!statSync(file).isFile()) throw new ModelError(`not a model file: ${file} is a folder`);
  }
  const check = await validateGgufFile(file);
  if (!check.ok) throw new ModelError(`not a usable GGUF model: ${check.error}`);
  const fileSize = statSync(file).size;
  const freeRam = os.freemem();
  // mmap lets the OS page weights in lazily, but a model far above free RAM will thrash or be killed.
  if (fileSize > freeRam * 1.5 && fileSize > os.totalmem() * 0.9)
    throw new ModelError(
      `the model (${(fileSize / 2 ** 30).toFixed(1)} GiB) is larger than this machine's memory (${(os.totalmem() / 2 ** 30).toFixed(1)} GiB)`
    );
  return {path: file, card, fileSize};
}
