import type * as vscode from "vscode";
import {z} from "zod";
import {ANSWER_FROM, PLACEMENT_SETTINGS, type AnswerFrom, type PlacementSetting} from "../core/answerModes";
import {KV_CACHE_TYPES, type KvCacheType} from "../core/kvMemory";
import {SIGNAL_SETTINGS, type SignalSetting} from "../core/signalNames";
import {METHOD_NAMES, type MethodName} from "../core/types";

/** The `dynsplit.*` settings; each default is in DEFAULT_SETTINGS and, equal to it, in package.json. */
export interface DynSplitSettings {
  /** `bundled`, a .gguf path or an hf: URI. Default "bundled". */
  model: string;
  /** Layers offloaded to the GPU. Default "auto". */
  gpuLayers: "auto" | "off" | number;
  /** KV-cache budget in tokens. Default 4096. */
  budgetTokens: number;
  /** Compression method (core/types METHOD_NAMES). Default "dynsplit". */
  method: MethodName;
  /** Importance signal (core/signalNames). Default "auto". */
  signal: SignalSetting;
  /** DynSplit block size C. Default 16. */
  blockSize: number;
  /** DynSplit tolerance Δ, below C. Default 8. */
  tolerance: number;
  /** Attention sinks kept. Default 4. */
  sinkTokens: number;
  /** Recent window kept. Default 64. */
  recentWindow: number;
  /** Globs read (empty: all). Default []. */
  include: string[];
  /** Globs never read. Default []. */
  exclude: string[];
  /** Larger files are skipped. Default 262144 (256 KiB). */
  maxFileBytes: number;
  /** Save the compressed workspace. Default true. */
  persistentCache: boolean;
  /** How chat questions are answered (core/answerModes). Default "memory". */
  answerFrom: AnswerFrom;
  /** How selected blocks enter the context; "auto": restore where the model allows it. Default "auto". */
  placement: PlacementSetting;
  /** Size cap of all block stores, in GB. Default 4. */
  storeSizeLimitGB: number;
  /** CPU threads (0: cores − 1). Default 0. */
  threads: number;
  /** The longest answer, in tokens (real models; the bundled demo model answers in a few). Default 1024. */
  answerTokens: number;
  /** Element type of the cached keys. Default "f16". */
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

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/**
 * The rule of every setting, once: readSettings validates by it, and a unit test checks package.json's enums and
 * ranges against it (the names come from src/core).
 */
export const SETTING_RULES = {
  model: z.string().trim().min(1, 'expected "bundled", a .gguf path or an hf: URI'),
  gpuLayers: z.union([z.enum(["auto", "off"]), z.number().int().min(0)]),
  budgetTokens: int(64, 1 << 20),
  method: z.enum(METHOD_NAMES),
  signal: z.enum(SIGNAL_SETTINGS),
  blockSize: int(2, 512),
  tolerance: int(0, 256),
  sinkTokens: int(1, 256),
  recentWindow: int(0, 65536),
  include: z.array(z.string()),
  exclude: z.array(z.string()),
  maxFileBytes: int(1024, 1 << 30),
  persistentCache: z.boolean(),
  answerFrom: z.enum(ANSWER_FROM),
  placement: z.enum(PLACEMENT_SETTINGS),
  storeSizeLimitGB: z.number().min(0.05).max(10_000),
  threads: int(0, 256),
  answerTokens: int(16, 32768),
  kvCacheType: z.enum(KV_CACHE_TYPES),
} satisfies SettingRules;

type SettingKey = keyof DynSplitSettings;
type SettingRules = {[K in SettingKey]: z.ZodType<DynSplitSettings[K], z.ZodTypeDef, unknown>};
const rules: SettingRules = SETTING_RULES;

/**
 * Reads `dynsplit.*` and validates every value. A bad value never reaches the engine: it is replaced by the
 * default and reported (the caller shows the problems once, with a button to open the settings).
 */
export function readSettings(config: Pick<vscode.WorkspaceConfiguration, "get">): {settings: DynSplitSettings; problems: string[]} {
  const problems: string[] = [];
  const s: DynSplitSettings = {...DEFAULT_SETTINGS};
  const assign = <K extends SettingKey>(key: K) => {
    const raw = config.get<unknown>(key);
    if (raw === undefined) return;
    const r = rules[key].safeParse(raw);
    if (r.success) s[key] = r.data;
    else
      problems.push(
        `dynsplit.${key}: ${r.error.issues[0]?.message ?? "invalid"}, got ${JSON.stringify(raw)}; using ${JSON.stringify(DEFAULT_SETTINGS[key])}`
      );
  };
  for (const key of Object.keys(SETTING_RULES) as SettingKey[]) assign(key);
  if (s.tolerance >= s.blockSize) {
    problems.push(
      `dynsplit.tolerance (${s.tolerance}) must be smaller than dynsplit.blockSize (${s.blockSize}); using ${Math.floor(s.blockSize / 2)}`
    );
    s.tolerance = Math.floor(s.blockSize / 2);
  }
  return {settings: s, problems};
}
