/**
 * Picks the stock prebuilt binary or our probe build of node-llama-cpp, deterministically, in one install.
 *
 * Pitfall: once `llama/localBuilds` holds a default build, `getLlama({build: "never"})` silently loads it.
 * node-llama-cpp names a local build folder after its custom cmake options, but looks up prebuilt binaries
 * WITHOUT them. So:
 *  - the probe is built with the custom option DYNSPLIT_PROBE=ON (scripts/build-kernels.mjs) and loaded with
 *    the same option and `usePrebuiltBinaries: false`: only that folder can match;
 *  - stock passes the never-built option DYNSPLIT_STOCK=ON: no local folder matches, so the prebuilt one loads.
 * Both results are checked (`buildType`, presence of the probe methods) and reported.
 * node-llama-cpp is ESM with top-level await: it is loaded with a dynamic import so this module also works
 * where TypeScript is run as CommonJS (tsx without "type": "module").
 */
import type {Llama} from "node-llama-cpp";

export const probeCmakeOptions: Readonly<Record<string, string>> = {DYNSPLIT_PROBE: "ON"};
const stockSentinelCmakeOptions: Readonly<Record<string, string>> = {DYNSPLIT_STOCK: "ON"};

export interface LoadedLlama {
  llama: Llama;
  /** Which binary was loaded. */
  binary: "stock-prebuilt" | "probe-local-build";
  /** node-llama-cpp's own report: "prebuilt" or "localBuild". */
  buildType: string;
  /** True when the loaded addon has the DynSplit attention probe. */
  hasProbe: boolean;
}

export class ProbeBinaryMissingError extends Error {
  constructor(cause: unknown) {
    super(
      "The DynSplit attention-probe build of node-llama-cpp is missing: run `npm run build:kernels` first. " +
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
 * `gpu: "auto"` lets the stock binary use CUDA/Vulkan/Metal when present (falling back to the CPU); the probe build
 * is CPU-only (its reductions read CPU tensors), so it always loads with `gpu: false`.
 */
export async function loadLlama({probe, gpu = false}: {probe: boolean; gpu?: "auto" | false}): Promise<LoadedLlama> {
  const {getLlama} = await import("node-llama-cpp");
  if (probe) {
    let llama: Llama;
    try {
      llama = await getLlama({
        gpu: false,
        build: "never",
        usePrebuiltBinaries: false,
        cmakeOptions: {...probeCmakeOptions},
        progressLogs: false,
      });
    } catch (err) {
      throw new ProbeBinaryMissingError(err);
    }
    const hasProbe = llamaHasAttentionProbe(llama);
    if (llama.buildType !== "localBuild" || !hasProbe) {
      await llama.dispose();
      throw new ProbeBinaryMissingError(`loaded a ${llama.buildType} binary without the probe`);
    }
    return {llama, binary: "probe-local-build", buildType: llama.buildType, hasProbe};
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
