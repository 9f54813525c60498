/** Writes a map of relative path → content into a fresh temporary folder (a workspace on disk) and returns it. */
import {mkdirSync, mkdtempSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";

export function writeFilesToTempDir(files: Readonly<Record<string, string>>, prefix = "dynsplit-ws-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const [rel, content] of Object.entries(files)) {
    const target = path.join(dir, rel);
    mkdirSync(path.dirname(target), {recursive: true});
    writeFileSync(target, content);
  }
  return dir;
}
