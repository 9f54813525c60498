/**
 * Every message a webview sends is parsed by one of these schemas before the host acts on it: a webview is web
 * content, and nothing it sends is trusted as-is (bounded strings, integer lines, known enums only). The schemas
 * are checked against the protocol's types both ways, so a message added to one and not the other fails to compile.
 */
import {z} from "zod";
import {METHOD_NAMES} from "../core/types";
import {CHAT_SCOPES, type FromChat, type FromVisualizer} from "./webviewProtocol";

const reference = {
  type: z.literal("openReference"),
  file: z.string().min(1).max(4096),
  startLine: z.number().int().min(0).max(10_000_000),
  endLine: z.number().int().min(0).max(10_000_000),
};

export const fromChatSchema = z.discriminatedUnion("type", [
  z.object({type: z.literal("ready")}),
  z.object({type: z.literal("ask"), text: z.string().trim().min(1).max(20_000), scope: z.enum(CHAT_SCOPES)}),
  z.object({type: z.literal("stop")}),
  z.object(reference),
  z.object({type: z.literal("loadWorkspace")}),
  z.object({type: z.literal("restartEngine")}),
  z.object({type: z.literal("showBlocks"), entryId: z.string().max(64).optional()}),
  z.object({type: z.literal("clearHistory")}),
]);

export const fromVisualizerSchema = z.discriminatedUnion("type", [
  z.object({type: z.literal("ready")}),
  z.object(reference),
  z.object({type: z.literal("compare"), method: z.enum(METHOD_NAMES)}),
  z.object({type: z.literal("toggleDecorations")}),
  z.object({type: z.literal("loadWorkspace")}),
  z.object({type: z.literal("fileBlocks"), file: z.string().min(1).max(4096)}),
  z.object({type: z.literal("showLatest")}),
]);

/** Compile-time proof that a schema parses to exactly the protocol's type. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const chatMatches: Same<z.infer<typeof fromChatSchema>, FromChat> = true;
const visualizerMatches: Same<z.infer<typeof fromVisualizerSchema>, FromVisualizer> = true;
void chatMatches;
void visualizerMatches;

/** Parses a webview's message, or says why not (for the log). */
export function parseWebviewMessage<T>(
  schema: z.ZodType<T, z.ZodTypeDef, unknown>,
  raw: unknown
): {ok: true; value: T} | {ok: false; error: string} {
  const r = schema.safeParse(raw);
  return r.success
    ? {ok: true, value: r.data}
    : {ok: false, error: r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")};
}
