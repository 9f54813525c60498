/**
 * How a question over a workspace is answered, and how selected blocks enter the context: the names the engine,
 * the CLI, the settings and the pickers share.
 */

/**
 * - `memory`: read the workspace once into the block store; each question selects blocks from all of it (default);
 * - `reread`: read the whole workspace again for each question, the question steering the compression;
 * - `once`: compress once without the question and answer every question from that one context.
 */
export const ANSWER_FROM = ["memory", "reread", "once"] as const;
export type AnswerFrom = (typeof ANSWER_FROM)[number];

export const ANSWER_FROM_DESCRIPTIONS: Record<AnswerFrom, string> = {
  memory: "Repository memory: read once, each question selects blocks from the whole workspace",
  reread: "Re-read the whole workspace for each question, the question steering compression",
  once: "Compress once without the question; answer every question from that context",
};

/**
 * - `restore`: the selected blocks' stored K/V rows are loaded, keys re-rotated to their new positions (fast);
 * - `prefill`: the selected blocks' tokens are evaluated again (exact, costs the budget's prefill).
 */
export const PLACEMENTS = ["restore", "prefill"] as const;
export type Placement = (typeof PLACEMENTS)[number];

/** The setting: a placement, or `auto` (restore where the model allows it). */
export const PLACEMENT_SETTINGS = ["auto", ...PLACEMENTS] as const;
export type PlacementSetting = (typeof PLACEMENT_SETTINGS)[number];

export const PLACEMENT_DESCRIPTIONS: Record<PlacementSetting, string> = {
  auto: "restore where the model allows it, else prefill",
  restore: "Load the selected blocks' stored K/V (keys re-rotated to their new positions): fastest",
  prefill: "Evaluate the selected blocks' tokens again: exact, costs the budget's prefill per question",
};
