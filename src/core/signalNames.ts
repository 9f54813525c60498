/**
 * The importance signals a session scores tokens by: the names the engine, the CLI, the settings and the pickers
 * share (package.json's `dynsplit.signal` enum is checked against these by a unit test).
 */
export const SIGNAL_KINDS = ["attention", "keyNorm", "surprisal"] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

/** What a user may ask for: a signal, or `auto` (the best one this model and build can measure). */
export const SIGNAL_SETTINGS = ["auto", ...SIGNAL_KINDS] as const;
export type SignalSetting = (typeof SIGNAL_SETTINGS)[number];

export const SIGNAL_DESCRIPTIONS: Record<SignalSetting, string> = {
  auto: "The attention probe where it is built, else key norms, else surprisal",
  attention: "Observation-window attention read by the native probe (needs `npm run build:kernels`)",
  keyNorm: "Norms of the cached keys: a low-norm key draws attention (stock binaries)",
  surprisal: "How surprising each token is to the model (where keys cannot be read)",
};

export function isSignalSetting(name: string): name is SignalSetting {
  return (SIGNAL_SETTINGS as readonly string[]).includes(name);
}
