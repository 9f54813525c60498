import {mkdtempSync} from "node:fs";
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
