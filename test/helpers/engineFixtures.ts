import {mkdtempSync, readFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {generateCase, type CaseOptions, type NeedleCase} from "../../src/corpus";
import {writeFilesToTempDir} from "../../src/corpus/writeFiles";
import {Engine} from "../../src/engine/engine";

export const ROOT = path.resolve(import.meta.dirname, "../..");

/** Writes a generated case's files into a fresh folder, like a workspace on disk. */
export function writeWorkspace(files: Record<string, string>): string {
  return writeFilesToTempDir(files);
}

/** Fresh cases (seeds far from any used in training) in workspace folders. */
export function caseWorkspaces(count: number, options: CaseOptions, seedBase = 9_100_000): {c: NeedleCase; dir: string}[] {
  return Array.from({length: count}, (_, i) => {
    const c = generateCase(seedBase + i, options);
    return {c, dir: writeWorkspace(c.files)};
  });
}

/** An engine on the bundled model and the stock binary, with a private cache folder. */
export async function openTestEngine(options: {probe?: "auto" | "on" | "off"; cacheDir?: string} = {}): Promise<Engine> {
  const engine = new Engine({
    packageRoot: ROOT,
    cacheDir: options.cacheDir ?? mkdtempSync(path.join(os.tmpdir(), "dynsplit-cache-")),
    threads: 1,
    probe: options.probe ?? "off",
    gpuLayers: "off",
  });
  await engine.loadModel("bundled");
  return engine;
}

interface CardAccuracy {
  suite: string;
  form: string;
  targetTokens: number;
  full: number;
}

/**
 * The bundled model's full-cache accuracy as its card measured it (value questions; the nearest measured length at or
 * above `tokens`). Tests of the engine's mechanics on that model expect no more than the model itself delivers.
 */
export function cardAccuracy(tokens: number, suite: "synthetic" | "real-code" = "synthetic", form: "value" | "file" = "value"): number {
  const card = JSON.parse(readFileSync(path.join(ROOT, "models/card.json"), "utf8")) as {accuracy: CardAccuracy[]};
  const cells = card.accuracy.filter((c) => c.suite === suite && c.form === form).sort((a, b) => a.targetTokens - b.targetTokens);
  if (cells.length === 0) throw new Error(`models/card.json has no ${suite} ${form} accuracy`);
  return (cells.find((c) => c.targetTokens >= tokens) ?? cells[cells.length - 1]).full;
}

/**
 * The fewest right answers out of `n` that a model of accuracy `p` gives but for bad luck (two standard deviations
 * below n·p, at least one): fewer means the engine lost what the model needs, as an evicted or mangled fact does.
 */
export function fewestRight(n: number, p: number): number {
  return Math.max(1, Math.floor(n * p - 2 * Math.sqrt(n * p * (1 - p))));
}
