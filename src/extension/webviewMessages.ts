import {z} from "zod";

/**
 * Every message a webview sends is parsed by one of these schemas before the host acts on it: a webview is
 * web content, and nothing it sends is trusted as-is (bounded strings, integer lines, known enums only).
 */
const scope = z.enum(["workspace", "file", "selection"]);
const method = z.enum(["dynsplit", "chunkkv", "snapkv", "streaming", "delimiter", "random", "full"]);
const reference = z.object({file: z.string().min(1).max(4096), startLine: z.number().int().min(0).max(10_000_000), endLine: z.number().int().min(0).max(10_000_000)});

export const chatMessageSchema = z.discriminatedUnion("type", [
  z.object({type: z.literal("ready")}),
  z.object({type: z.literal("ask"), text: z.string().trim().min(1).max(20_000), scope}),
  z.object({type: z.literal("stop")}),
  z.object({type: z.literal("openReference"), ...reference.shape}),
  z.object({type: z.literal("loadWorkspace")}),
  z.object({type: z.literal("restartEngine")}),
  z.object({type: z.literal("showBlocks"), entryId: z.string().max(64).optional()}),
  z.object({type: z.literal("clearHistory")}),
]);
export type ChatViewMessage = z.infer<typeof chatMessageSchema>;

export const visualizerMessageSchema = z.discriminatedUnion("type", [
  z.object({type: z.literal("ready")}),
  z.object({type: z.literal("openReference"), ...reference.shape}),
  z.object({type: z.literal("compare"), method}),
  z.object({type: z.literal("toggleDecorations")}),
  z.object({type: z.literal("loadWorkspace")}),
  z.object({type: z.literal("fileBlocks"), file: z.string().min(1).max(4096)}),
  z.object({type: z.literal("showLatest")}),
]);
export type VisualizerMessage = z.infer<typeof visualizerMessageSchema>;

/** Parses or returns undefined (and the reason, for the log). */
export function parseMessage<T>(schema: z.ZodType<T>, raw: unknown): {ok: true; value: T} | {ok: false; error: string} {
  const r = schema.safeParse(raw);
  return r.success ? {ok: true, value: r.data} : {ok: false, error: r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")};
}
