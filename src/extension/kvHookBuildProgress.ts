/**
 * What the KV-hook build prints, read for the progress notification (scripts/build-kernels.mjs). No `vscode`
 * import, so it is unit-tested.
 */
export type KvHookGpu = false | "cuda" | "vulkan";

export interface BuildProgressLine {
  /** ninja's `[n/N]` step, when the line is one */
  step?: {done: number; total: number};
  /** a line of ours (`[build:kernels] …`), without the prefix */
  message?: string;
  /** the build script's own error line */
  error?: string;
}

export function parseBuildLine(line: string): BuildProgressLine {
  const ninja = /^\[(\d+)\/(\d+)\]/.exec(line.trim());
  if (ninja) return {step: {done: Number(ninja[1]), total: Number(ninja[2])}};
  const ours = /^\[build:kernels\] (error: )?(.*)$/.exec(line.trim());
  if (!ours) return {};
  return ours[1] ? {error: ours[2]} : {message: ours[2]};
}

/** The arguments of scripts/build-kernels.mjs for a variant. */
export function buildArgs(gpu: KvHookGpu): string[] {
  return gpu === false ? [] : ["--gpu", gpu];
}

/** The toolkits that decide which variants can be built here. */
export function buildableVariants(has: {nvcc: boolean; glslc: boolean}): {gpu: KvHookGpu; label: string; detail: string}[] {
  return [
    {gpu: "cuda", label: "CUDA (NVIDIA)", detail: has.nvcc ? "nvcc found" : "needs the CUDA toolkit (nvcc), not found"},
    {gpu: "vulkan", label: "Vulkan", detail: has.glslc ? "glslc found" : "needs the Vulkan SDK (glslc), not found"},
    {gpu: false, label: "CPU", detail: "the same build as the one this extension ships, for this machine"},
  ];
}
