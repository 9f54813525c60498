/**
 * What the KV-hook build prints, read for the progress notification (scripts/build-kernels.mjs). No `vscode`
 * import, so it is unit-tested.
 */
import type {HookGpu} from "../engine/signals/loadLlama";

export type KvHookGpu = HookGpu;

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

/** What each variant lacks on this machine: `build-kernels.mjs --toolkits`, the script's own check. */
export interface MissingToolkits {
  cpu: string[];
  cuda: string[];
  vulkan: string[];
}

/** The picker's entries, each saying whether it can be built here and, if not, what it needs. */
export function buildableVariants(missing: MissingToolkits): {gpu: KvHookGpu; label: string; detail: string}[] {
  const detail = (m: string[], ok: string) => (m.length === 0 ? ok : `needs ${m.join(", ")}`);
  return [
    {gpu: "cuda", label: "CUDA (NVIDIA)", detail: detail(missing.cuda, "can be built here")},
    {gpu: "vulkan", label: "Vulkan", detail: detail(missing.vulkan, "can be built here")},
    {gpu: false, label: "CPU", detail: detail(missing.cpu, "the same build as the one this extension ships, for this machine")},
  ];
}
