/**
 * node-llama-cpp is ESM with top-level await; this repo's .ts files compile as CommonJS, where a
 * static import would become require() and fail. A dynamic import keeps it a real ESM import.
 */
// eslint-disable-next-line @typescript-eslint/consistent-type-imports -- the module type of a dynamic import
export type NodeLlamaCpp = typeof import("node-llama-cpp");

let cached: Promise<NodeLlamaCpp> | undefined;

export function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  cached ??= import("node-llama-cpp");
  return cached;
}

/** CPU-only llama instance with the prebuilt binary (threads: 1 is used for contexts; see docs/llama-notes). */
export async function getCpuLlama() {
  const {getLlama} = await loadNodeLlamaCpp();
  return getLlama({gpu: false, build: "never"});
}
