import {existsSync, statSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs, type ParseArgsConfig} from "node:util";
import {isMethodName} from "../core/methods/registry";
import {isSegmentationName, SEGMENTATION_NAMES, type SegmentationName} from "../core/blockSegmenter";
import {METHOD_NAMES, type Budget, type MethodName} from "../core/types";
import {ANSWER_FROM, PLACEMENTS, type AnswerFrom, type Placement} from "../core/answerModes";
import {isSignalSetting, SIGNAL_SETTINGS, type SignalSetting} from "../core/signalNames";
import {KV_CACHE_TYPES, type KvCacheType} from "../core/kvMemory";

/** A usage mistake: printed with a hint to --help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const COMMON_OPTIONS = {
  model: {type: "string"},
  method: {type: "string"},
  budget: {type: "string"},
  "budget-tokens": {type: "string"},
  signal: {type: "string"},
  "query-agnostic": {type: "boolean"},
  "block-size": {type: "string"},
  tolerance: {type: "string"},
  "no-cache": {type: "boolean"},
  "answer-from": {type: "string"},
  placement: {type: "string"},
  segmentation: {type: "string"},
  threads: {type: "string"},
  probe: {type: "string"},
  "gpu-layers": {type: "string"},
  "answer-tokens": {type: "string"},
  "kv-cache": {type: "string"},
  json: {type: "boolean"},
  help: {type: "boolean", short: "h"},
} as const satisfies ParseArgsConfig["options"];

export function parse<O extends ParseArgsConfig["options"]>(args: string[], options: O) {
  try {
    return parseArgs({args, options, allowPositionals: true, strict: true});
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.replace(/^TypeError \[[A-Z_]+\]: /, "") : String(err));
  }
}

export function methodOf(value: string | undefined): MethodName {
  const m = value ?? "dynsplit";
  if (!isMethodName(m)) throw new UsageError(`unknown --method "${m}"; choose one of ${METHOD_NAMES.join(", ")}`);
  return m;
}

export function budgetOf(ratio: string | undefined, tokens: string | undefined): Budget {
  if (ratio != null && tokens != null) throw new UsageError("give either --budget or --budget-tokens, not both");
  if (tokens != null) {
    const t = Number(tokens);
    if (!Number.isInteger(t) || t <= 0) throw new UsageError(`--budget-tokens must be a positive integer, got "${tokens}"`);
    return {tokens: t};
  }
  const r = ratio == null ? 0.25 : Number(ratio);
  if (!Number.isFinite(r) || r <= 0 || r > 1) throw new UsageError(`--budget must be a fraction in (0, 1], got "${ratio}"`);
  return {ratio: r};
}

export function signalOf(value: string | undefined): SignalSetting {
  const s = value ?? "auto";
  if (!isSignalSetting(s)) throw new UsageError(`unknown --signal "${s}"; choose ${SIGNAL_SETTINGS.join(", ")}`);
  return s;
}

export function probeOf(value: string | undefined): "auto" | "on" | "off" {
  const p = value ?? "auto";
  if (p !== "auto" && p !== "on" && p !== "off") throw new UsageError(`--probe must be auto, on or off, got "${p}"`);
  return p;
}

export function gpuLayersOf(value: string | undefined): "auto" | "off" | number {
  const v = value ?? "auto";
  if (v === "auto" || v === "off") return v;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--gpu-layers must be auto, off or a number of layers, got "${v}"`);
  return n;
}

export function kvCacheTypeOf(value: string | undefined): KvCacheType | undefined {
  if (value == null) return undefined;
  if (!(KV_CACHE_TYPES as readonly string[]).includes(value))
    throw new UsageError(`--kv-cache must be one of ${KV_CACHE_TYPES.join(", ")}, got "${value}"`);
  return value as KvCacheType;
}

export function intOf(name: string, value: string | undefined): number | undefined {
  if (value == null) return undefined;
  const v = Number(value);
  if (!Number.isInteger(v) || v <= 0) throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return v;
}

export function defaultCacheDir(): string {
  if (process.env.DYNSPLIT_CACHE_DIR) return process.env.DYNSPLIT_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "dynsplit");
}

export function answerFromOf(value: string | undefined): AnswerFrom {
  const v = value ?? "memory";
  if (!(ANSWER_FROM as readonly string[]).includes(v))
    throw new UsageError(`--answer-from must be one of ${ANSWER_FROM.join(", ")}, got "${v}"`);
  return v as AnswerFrom;
}

export function placementOf(value: string | undefined): Placement | undefined {
  if (value == null) return undefined;
  if (!(PLACEMENTS as readonly string[]).includes(value))
    throw new UsageError(`--placement must be one of ${PLACEMENTS.join(", ")}, got "${value}"`);
  return value as Placement;
}

export function segmentationOf(value: string | undefined): SegmentationName | undefined {
  if (value == null) return undefined;
  if (!isSegmentationName(value)) throw new UsageError(`--segmentation must be one of ${SEGMENTATION_NAMES.join(", ")}, got "${value}"`);
  return value;
}

export function checkFolder(dir: string): string {
  const root = path.resolve(dir);
  if (!existsSync(root)) throw new UsageError(`folder not found: ${dir}`);
  if (!statSync(root).isDirectory()) throw new UsageError(`not a folder: ${dir}`);
  return root;
}

export function toleranceOf(value: string | undefined): number | undefined {
  if (value == null) return undefined;
  const v = Number(value);
  if (!Number.isInteger(v) || v < 0) throw new UsageError(`--tolerance must be a non-negative integer, got "${value}"`);
  return v;
}

/** The ingest request the options describe (ask, ingest). */
export function ingestRequestOf(values: {[k: string]: string | boolean | undefined}, root: string) {
  const str = (k: string) => values[k] as string | undefined;
  return {
    roots: [root],
    answerFrom: answerFromOf(str("answer-from")),
    method: methodOf(str("method")),
    budget: budgetOf(str("budget"), str("budget-tokens")),
    signal: signalOf(str("signal")),
    queryAware: !values["query-agnostic"],
    useCache: !values["no-cache"],
    placement: placementOf(str("placement")),
    segmentation: segmentationOf(str("segmentation")),
    methodOptions: {blockSize: intOf("block-size", str("block-size")), tolerance: toleranceOf(str("tolerance"))},
  };
}
