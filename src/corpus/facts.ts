/**
 * The fact and question templates the bundled model is trained and measured on.
 * A fact is a line `const {key} = {value};`; the value question is `Q: {key} =` (the answer, ` {value}`, follows and
 * ends at `;`); the file question is `Q: file of {key} is` (the answer is the path of the file holding the fact).
 * Keys are identifiers of three shapes (snake_case, camelCase, UPPER_CASE; parts are code words or random letters,
 * some with digits) and values of four kinds (integers to 6 digits, hex, quoted strings of 1-4 words, dotted names):
 * a real sub-word tokenizer splits both into several tokens.
 */
import {type Rng} from "./rng";
import {IDENT_WORDS, KEY_PREFIXES, KEY_SUFFIXES} from "./words";

export const FACT_TEMPLATE = "const {key} = {value};";
/** The answer follows as ` {value}` and ends at the `;` that closes the fact. */
export const QUESTION_TEMPLATE = "Q: {key} =";
/** The answer follows as ` {path}` and ends at the line's end. */
export const FILE_QUESTION_TEMPLATE = "Q: file of {key} is";

export const KEY_SHAPES = ["snake", "camel", "upper"] as const;
export type KeyShape = (typeof KEY_SHAPES)[number];
export const VALUE_KINDS = ["int", "hex", "string", "dotted"] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

/** Exactly what randomKey draws, per shape: 2-3 parts of 2-12 characters, each starting with a letter. */
export const KEY_SHAPE_PATTERNS: Record<KeyShape, string> = {
  snake: "[a-z][a-z0-9]{1,11}(?:_[a-z][a-z0-9]{1,11}){1,2}",
  camel: "[a-z][a-z0-9]{1,11}(?:[A-Z][a-z0-9]{1,11}){1,2}",
  upper: "[A-Z][A-Z0-9]{1,11}(?:_[A-Z][A-Z0-9]{1,11}){1,2}",
};
/** Exactly what randomValue draws, per kind. */
export const VALUE_KIND_PATTERNS: Record<ValueKind, string> = {
  int: "[0-9]{1,6}",
  hex: "0x[0-9a-f]{2,6}",
  string: '"[a-z]{2,12}(?: [a-z]{2,12}){0,3}"',
  dotted: "[a-z][a-z0-9]{1,11}(?:\\.[a-z][a-z0-9]{1,11}){1,3}",
};
export const KEY_PATTERN = KEY_SHAPES.map((s) => `(?:${KEY_SHAPE_PATTERNS[s]})`).join("|");
export const VALUE_PATTERN = VALUE_KINDS.map((k) => `(?:${VALUE_KIND_PATTERNS[k]})`).join("|");
/** File paths as the corpus writes them (the file question's answer). */
export const PATH_PATTERN = "[A-Za-z0-9_./-]+";

export interface Fact {
  key: string;
  value: string;
}

export function formatFact(fact: Fact): string {
  return FACT_TEMPLATE.replace("{key}", fact.key).replace("{value}", fact.value);
}

export function formatQuestion(key: string): string {
  return QUESTION_TEMPLATE.replace("{key}", key);
}

export function formatFileQuestion(key: string): string {
  return FILE_QUESTION_TEMPLATE.replace("{key}", key);
}

/** The shape of a key, by its pattern (undefined for any other identifier). */
export function keyShapeOf(key: string): KeyShape | undefined {
  return KEY_SHAPES.find((s) => new RegExp(`^(?:${KEY_SHAPE_PATTERNS[s]})$`).test(key));
}

/** The kind of a value, by its pattern. */
export function valueKindOf(value: string): ValueKind | undefined {
  return VALUE_KINDS.find((k) => new RegExp(`^(?:${VALUE_KIND_PATTERNS[k]})$`).test(value));
}

const WORDS: readonly string[] = [...new Set([...KEY_PREFIXES, ...KEY_SUFFIXES, ...IDENT_WORDS])].filter((w) => /^[a-z]{2,12}$/.test(w));
const LETTERS = "abcdefghijklmnopqrstuvwxyz";
const HEX = "0123456789abcdef";

function randomLetters(rng: Rng, lo: number, hi: number): string {
  let s = "";
  for (let i = rng.int(lo, hi); i > 0; i--) s += LETTERS[rng.int(0, 25)];
  return s;
}

/** A key part: a code word or random letters (half each), sometimes with a digit or two after it. */
function keyPart(rng: Rng): string {
  let part = rng.chance(0.5) ? rng.pick(WORDS) : randomLetters(rng, 2, 8);
  if (rng.chance(0.2)) part = part.slice(0, 10) + String(rng.int(0, rng.chance(0.5) ? 9 : 99));
  return part;
}

const capitalize = (s: string) => s[0].toUpperCase() + s.slice(1);

export function joinKey(parts: readonly string[], shape: KeyShape): string {
  if (shape === "snake") return parts.join("_");
  if (shape === "upper") return parts.join("_").toUpperCase();
  return parts[0] + parts.slice(1).map(capitalize).join("");
}

export interface KeyDraw {
  key: string;
  shape: KeyShape;
  parts: string[];
}

export function randomKeyParts(rng: Rng, shape: KeyShape = rng.pick(KEY_SHAPES)): KeyDraw {
  const parts = Array.from({length: rng.chance(0.6) ? 2 : 3}, () => keyPart(rng));
  return {key: joinKey(parts, shape), shape, parts};
}

export function randomKey(rng: Rng, shape?: KeyShape): string {
  return randomKeyParts(rng, shape).key;
}

export function randomValue(rng: Rng, kind: ValueKind = rng.pick(VALUE_KINDS)): string {
  switch (kind) {
    case "int": {
      const digits = rng.int(1, 6);
      return String(digits === 1 ? rng.int(0, 9) : rng.int(10 ** (digits - 1), 10 ** digits - 1));
    }
    case "hex": {
      let s = "0x";
      for (let i = rng.int(2, 6); i > 0; i--) s += HEX[rng.int(0, 15)];
      return s;
    }
    case "string":
      return `"${Array.from({length: rng.int(1, 4)}, () => (rng.chance(0.6) ? rng.pick(WORDS) : randomLetters(rng, 2, 8))).join(" ")}"`;
    case "dotted":
      return Array.from({length: rng.int(2, 4)}, () => (rng.chance(0.6) ? rng.pick(WORDS) : randomLetters(rng, 2, 8))).join(".");
  }
}

/**
 * Keys of the same shape that share all parts but one with `key` (the hard distractors: same prefix, or same
 * suffix). The changed part is the last one with probability `lastPartShare`, else any part. Never returns `key`
 * itself or a key in `exclude`.
 */
export function distractorKeys(
  rng: Rng,
  key: string,
  count: number,
  exclude: ReadonlySet<string> = new Set(),
  lastPartShare = 0.6
): string[] {
  const shape = keyShapeOf(key) ?? "snake";
  const parts = splitKey(key, shape);
  const out: string[] = [];
  const used = new Set<string>([key, ...exclude]);
  for (let attempts = 0; out.length < count && attempts < count * 50; attempts++) {
    const changed = [...parts];
    changed[rng.chance(lastPartShare) ? parts.length - 1 : rng.int(0, parts.length - 1)] = keyPart(rng);
    const candidate = joinKey(changed, shape);
    if (used.has(candidate) || keyShapeOf(candidate) !== shape) continue;
    used.add(candidate);
    out.push(candidate);
  }
  return out;
}

/** The lower-case parts of a key of a known shape. */
export function splitKey(key: string, shape: KeyShape): string[] {
  if (shape === "camel") return key.split(/(?=[A-Z])/).map((p) => p.toLowerCase());
  return key.toLowerCase().split("_");
}
