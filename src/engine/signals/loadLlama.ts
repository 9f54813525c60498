/**
 * Picks the stock prebuilt binary or our KV-hook build of node-llama-cpp, deterministically, in one install.
 *
 * Pitfall: once `llama/localBuilds` holds a default build, `getLlama({build: "never"})` silently loads it.
 * node-llama-cpp names a local build folder after its custom cmake options, but looks up prebuilt binaries
 * WITHOUT them. So:
 *  - the hook is built with the custom options of kernels/variants.json (scripts/build-kernels.mjs) and loaded with
 *    the same options and `usePrebuiltBinaries: false`: only that folder can match;
 *  - stock passes the never-built option DYNSPLIT_STOCK=ON: no local folder matches, so the prebuilt one loads.
 * Both results are checked (`buildType`, presence of the hook methods) and reported.
 * node-llama-cpp is ESM with top-level await: it is loaded with a dynamic import so this module also works
 * where TypeScript is run as CommonJS (tsx without "type": "module").
 */
import {existsSync, readdirSync, readFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";
import type {Llama} from "node-llama-cpp";
import variants from "../../../kernels/variants.json";

export type HookGpu = false | "cuda" | "vulkan";

/** The custom cmake options of a hook build (the same as scripts/build-kernels.mjs). */
export function hookCmakeOptions(gpu: HookGpu, arch: string = process.arch): Record<string, string> {
  return {...variants.hook, ...(gpu === false && arch === "x64" ? variants.x64Cpu : {})};
}
const stockSentinelCmakeOptions: Readonly<Record<string, string>> = {DYNSPLIT_STOCK: "ON"};

/** The hook builds present in node-llama-cpp's local builds, read from their metadata (nothing is loaded). */
export function hookBuildsPresent(): HookGpu[] {
  let root: string;
  try {
    root = join(dirname(fileURLToPath(import.meta.resolve("node-llama-cpp"))), "..", "llama", "localBuilds");
  } catch {
    return [];
  }
  if (!existsSync(root)) return [];
  const found: HookGpu[] = [];
  for (const name of readdirSync(root)) {
    try {
      const build = (JSON.parse(readFileSync(join(root, name, "Release", "_nlcBuildMetadata.json"), "utf8")) as {buildOptions?: BuildMeta})
        .buildOptions;
      if (build?.customCmakeOptions?.DYNSPLIT_HOOK === "ON") found.push(build.gpu === "cuda" || build.gpu === "vulkan" ? build.gpu : false);
    } catch {
      // not a finished build
    }
  }
  return found;
}

interface BuildMeta {
  customCmakeOptions?: Record<string, string>;
  gpu?: string | false;
}

export interface LoadedLlama {
  llama: Llama;
  /** Which binary was loaded. */
  binary: "stock-prebuilt" | "probe-local-build";
  /** node-llama-cpp's own report: "prebuilt" or "localBuild". */
  buildType: string;
  /** True when the loaded addon has the DynSplit KV hook. */
  hasProbe: boolean;
  /** The hook build's GPU variant (false: CPU); absent for the stock binary. */
  hookGpu?: HookGpu;
}

export class ProbeBinaryMissingError extends Error {
  constructor(cause: unknown) {
    super(
      "The DynSplit KV-hook build of node-llama-cpp is missing: run `npm run build:kernels` (or the command " +
        '"DynSplit: Build the KV Hook for This Machine") first. ' +
        `(${cause instanceof Error ? cause.message : String(cause)})`
    );
    this.name = "ProbeBinaryMissingError";
  }
}

interface AddonBindings {
  AddonContext: {prototype: Record<string, unknown>};
}

/** True when the loaded addon exposes the DynSplit probe methods. */
export function llamaHasAttentionProbe(llama: Llama): boolean {
  const bindings = (llama as unknown as {_bindings?: AddonBindings})._bindings;
  return typeof bindings?.AddonContext?.prototype?.dynsplitProbeSetOptions === "function";
}

/**
 * `gpu: "auto"` lets the stock binary use CUDA/Vulkan/Metal when present (falling back to the CPU), and looks for a
 * CUDA, then a Vulkan, then the CPU hook build; `gpu: false` takes the CPU ones only. The hook computes its signal in
 * the compute graph, so a GPU hook build runs with the layers offloaded as the user set them.
 */
export async function loadLlama({probe, gpu = false}: {probe: boolean; gpu?: "auto" | false}): Promise<LoadedLlama> {
  const {getLlama} = await import("node-llama-cpp");
  if (probe) {
    const reasons: string[] = [];
    // Only the builds that are there are tried: a GPU build that fails to start has already loaded its libraries.
    const present = hookBuildsPresent();
    const candidates = ((gpu === "auto" ? ["cuda", "vulkan", false] : [false]) as HookGpu[]).filter(
      (g) => present.length === 0 || present.includes(g)
    );
    for (const hookGpu of candidates.length > 0 ? candidates : ([false] as HookGpu[])) {
      let llama: Llama;
      try {
        llama = await getLlama({
          gpu: hookGpu,
          build: "never",
          usePrebuiltBinaries: false,
          cmakeOptions: hookCmakeOptions(hookGpu),
          progressLogs: false,
        });
      } catch (err) {
        reasons.push(`${hookGpu || "cpu"}: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      const hasProbe = llamaHasAttentionProbe(llama);
      if (llama.buildType !== "localBuild" || !hasProbe) {
        await llama.dispose();
        reasons.push(`${hookGpu || "cpu"}: loaded a ${llama.buildType} binary without the hook`);
        continue;
      }
      return {llama, binary: "probe-local-build", buildType: llama.buildType, hasProbe, hookGpu};
    }
    throw new ProbeBinaryMissingError(reasons.join("; "));
  }
  const llama = await getLlama({
    gpu,
    build: "never",
    usePrebuiltBinaries: true,
    cmakeOptions: {...stockSentinelCmakeOptions},
    progressLogs: false,
  });
  if (llama.buildType !== "prebuilt") {
    await llama.dispose();
    throw new Error(`loadLlama({probe: false}) expected the stock prebuilt binary, got a ${llama.buildType} one`);
  }
  return {llama, binary: "stock-prebuilt", buildType: llama.buildType, hasProbe: llamaHasAttentionProbe(llama)};
}
