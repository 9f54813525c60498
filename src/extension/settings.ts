import * as vscode from "vscode";
import {KV_CACHE_TYPES, type KvCacheType} from "../core/kvMemory";
import {ANSWER_FROM, PLACEMENTS, type AnswerFrom, type Placement} from "../core/answerModes";
import {isMethodName} from "../core/methods/registry";
import type {MethodName} from "../core/types";

export interface DynSplitSettings {
  model: string;
  gpuLayers: "auto" | "off" | number;
  budgetTokens: number;
  method: MethodName;
  signal: "auto" | "attention" | "keyNorm" | "surprisal";
  blockSize: number;
  tolerance: number;
  sinkTokens: number;
  recentWindow: number;
  include: string[];
  exclude: string[];
  maxFileBytes: number;
  persistentCache: boolean;
  /** How chat questions are answered (core/answerModes). */
  answerFrom: AnswerFrom;
  /** How selected blocks enter the context; "auto": restore where the model allows it. */
  placement: "auto" | Placement;
  /** Size cap of all block stores, in GB. */
  storeSizeLimitGB: number;
  threads: number;
  /** The longest answer, in tokens (real models; the bundled demo model answers in a few). */
  answerTokens: number;
  /** Element type of the cached keys. */
  kvCacheType: KvCacheType;
}

export const DEFAULT_SETTINGS: DynSplitSettings = {
  model: "bundled",
  gpuLayers: "auto",
  budgetTokens: 4096,
  method: "dynsplit",
  signal: "auto",
  blockSize: 16,
  tolerance: 8,
  sinkTokens: 4,
  recentWindow: 64,
  include: [],
  exclude: [],
  maxFileBytes: 262144,
  persistentCache: true,
  answerFrom: "memory",
  placement: "auto",
  storeSizeLimitGB: 4,
  threads: 0,
  answerTokens: 1024,
  kvCacheType: "f16",
};

/**
 * Reads `dynsplit.*` and validates every value. A bad value never reaches the engine: it is replaced by the
 * default and reported (the caller shows the problems once, with a button to open the settings).
 */
export function readSettings(config: Pick<vscode.WorkspaceConfiguration, "get"> = vscode.workspace.getConfiguration("dynsplit")): {settings: DynSplitSettings; problems: string[]} {
  const problems: string[] = [];
  const s: DynSplitSettings = {...DEFAULT_SETTINGS};
  const get = <T>(key: keyof DynSplitSettings) => config.get<T>(key);
  const int = (key: keyof DynSplitSettings, min: number, max: number) => {
    const v = get<unknown>(key);
    if (v === undefined) return;
    if (typeof v === "number" && Number.isInteger(v) && v >= min && v <= max) (s as any)[key] = v;
    else problems.push(`dynsplit.${key} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}; using ${(s as any)[key]}`);
  };
  const model = get<unknown>("model");
  if (typeof model === "string" && model.trim()) s.model = model.trim();
  else if (model !== undefined) problems.push(`dynsplit.model must be "bundled", a .gguf path or an hf: URI; using the bundled model`);
  const gpu = get<unknown>("gpuLayers");
  if (gpu === "auto" || gpu === "off" || (typeof gpu === "number" && Number.isInteger(gpu) && gpu >= 0)) s.gpuLayers = gpu;
  else if (gpu !== undefined) problems.push(`dynsplit.gpuLayers must be "auto", "off" or a non-negative integer, got ${JSON.stringify(gpu)}; using auto`);
  int("budgetTokens", 64, 1 << 20);
  const method = get<unknown>("method");
  if (typeof method === "string" && isMethodName(method)) s.method = method;
  else if (method !== undefined) problems.push(`dynsplit.method "${String(method)}" is not a method; using dynsplit`);
  const signal = get<unknown>("signal");
  if (signal === "auto" || signal === "attention" || signal === "keyNorm" || signal === "surprisal") s.signal = signal;
  else if (signal !== undefined) problems.push(`dynsplit.signal "${String(signal)}" is not a signal; using auto`);
  int("blockSize", 2, 512);
  int("tolerance", 0, 256);
  if (s.tolerance >= s.blockSize) {
    problems.push(`dynsplit.tolerance (${s.tolerance}) must be smaller than dynsplit.blockSize (${s.blockSize}); using ${Math.floor(s.blockSize / 2)}`);
    s.tolerance = Math.floor(s.blockSize / 2);
  }
  int("sinkTokens", 1, 256);
  int("recentWindow", 0, 65536);
  for (const key of ["include", "exclude"] as const) {
    const v = get<unknown>(key);
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) s[key] = v;
    else if (v !== undefined) problems.push(`dynsplit.${key} must be a list of glob strings; ignoring it`);
  }
  int("maxFileBytes", 1024, 1 << 30);
  const cache = get<unknown>("persistentCache");
  if (typeof cache === "boolean") s.persistentCache = cache;
  else if (cache !== undefined) problems.push(`dynsplit.persistentCache must be true or false; using true`);
  const answerFrom = get<unknown>("answerFrom");
  if (typeof answerFrom === "string" && (ANSWER_FROM as readonly string[]).includes(answerFrom)) s.answerFrom = answerFrom as AnswerFrom;
  else if (answerFrom !== undefined) problems.push(`dynsplit.answerFrom must be one of ${ANSWER_FROM.join(", ")}, got ${JSON.stringify(answerFrom)}; using memory`);
  const placement = get<unknown>("placement");
  if (placement === "auto" || (typeof placement === "string" && (PLACEMENTS as readonly string[]).includes(placement))) s.placement = placement as DynSplitSettings["placement"];
  else if (placement !== undefined) problems.push(`dynsplit.placement must be auto, ${PLACEMENTS.join(" or ")}, got ${JSON.stringify(placement)}; using auto`);
  const limit = get<unknown>("storeSizeLimitGB");
  if (typeof limit === "number" && Number.isFinite(limit) && limit >= 0.05 && limit <= 10_000) s.storeSizeLimitGB = limit;
  else if (limit !== undefined) problems.push(`dynsplit.storeSizeLimitGB must be a number of GB in [0.05, 10000], got ${JSON.stringify(limit)}; using 4`);
  int("threads", 0, 256);
  int("answerTokens", 16, 32768);
  const kv = get<unknown>("kvCacheType");
  if (typeof kv === "string" && (KV_CACHE_TYPES as readonly string[]).includes(kv)) s.kvCacheType = kv as KvCacheType;
  else if (kv !== undefined) problems.push(`dynsplit.kvCacheType must be one of ${KV_CACHE_TYPES.join(", ")}, got ${JSON.stringify(kv)}; using f16`);
  return {settings: s, problems};
}
