import {existsSync, readFileSync} from "node:fs";
import path from "node:path";

/** The extension/package folder (holds package.json "dynsplit-chat"), found from a bundle or a source file. */
export function findPackageRoot(startDir: string): string {
  let dir = startDir;
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, "utf8")).name === "dynsplit-chat") return dir;
      } catch {
        // keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the dynsplit-chat package folder above ${startDir}`);
    dir = parent;
  }
}
