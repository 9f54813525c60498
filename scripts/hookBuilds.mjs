// The KV-hook builds of node-llama-cpp as the build scripts see them (build-kernels.mjs, ensure-kernels.mjs): the
// custom cmake options of a variant (kernels/variants.json; src/engine/signals/loadLlama.ts reads the same file) and
// the local build folder that holds exactly that variant.
import {existsSync, readFileSync, readdirSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";

const kernelsDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "kernels");

/** @param {false | "cuda" | "vulkan"} gpu */
export function hookCmakeOptions(gpu) {
  const variants = JSON.parse(readFileSync(join(kernelsDir, "variants.json"), "utf8"));
  return {...variants.hook, ...(gpu === false && process.arch === "x64" ? variants.x64Cpu : {})};
}

/** The folder under `localBuilds` built with exactly these options for this GPU variant, or null. */
export function hookBuildFolder(localBuilds, gpu) {
  if (!existsSync(localBuilds)) return null;
  const wanted = hookCmakeOptions(gpu);
  for (const name of readdirSync(localBuilds)) {
    const meta = join(localBuilds, name, "Release", "_nlcBuildMetadata.json");
    if (!existsSync(meta)) continue;
    const build = JSON.parse(readFileSync(meta, "utf8")).buildOptions ?? {};
    const options = build.customCmakeOptions ?? {};
    const same = Object.keys(options).length === Object.keys(wanted).length && Object.entries(wanted).every(([k, v]) => options[k] === v);
    if (same && (build.gpu ?? false) === gpu) return join(localBuilds, name);
  }
  return null;
}
