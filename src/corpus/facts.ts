/**
 * The ONE fact template and ONE question template the bundled model is trained on.
 * A fact is a line `const {key} = {value};`; a question is `Q: {key} = ` and the answer
 * is the value, a single token (integers 0..999 are single tokens in the vocabulary).
 */
import {type Rng} from "./rng";
import {KEY_PREFIXES, KEY_SUFFIXES} from "./words";

export const FACT_TEMPLATE = "const {key} = {value};";
/** Ends with a space: the answer token follows directly. */
export const QUESTION_TEMPLATE = "Q: {key} = ";
/**
 * Exactly the keys the model was trained and measured on: a prefix and a suffix from the word lists, each pair one
 * token of the vocabulary. It is not `[a-z]+_[a-z]+`: other identifiers of that shape split into several tokens the
 * model never saw as keys, and it answers none of them (0 of 40 planted in real code, see models/README.md).
 */
export const KEY_PATTERN = `(?:${KEY_PREFIXES.join("|")})_(?:${KEY_SUFFIXES.join("|")})`;
export const VALUE_PATTERN = "[0-9]{1,3}";
export const MAX_VALUE = 999;

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

export function randomValue(rng: Rng): string {
  return String(rng.int(0, MAX_VALUE));
}

export function makeKey(prefix: string, suffix: string): string {
  return `${prefix}_${suffix}`;
}

export function randomKey(rng: Rng): string {
  return makeKey(rng.pick(KEY_PREFIXES), rng.pick(KEY_SUFFIXES));
}

/**
 * Keys that share the prefix (or, less often, the suffix) of `key`: the hard distractors.
 * Never returns `key` itself or a key in `exclude`.
 */
export function distractorKeys(rng: Rng, key: string, count: number, exclude: ReadonlySet<string> = new Set()): string[] {
  const [prefix, suffix] = key.split("_");
  const out: string[] = [];
  const used = new Set<string>([key, ...exclude]);
  for (let attempts = 0; out.length < count && attempts < count * 50; attempts++) {
    const candidate = rng.chance(0.7) ? makeKey(prefix, rng.pick(KEY_SUFFIXES)) : makeKey(rng.pick(KEY_PREFIXES), suffix);
    if (used.has(candidate)) continue;
    used.add(candidate);
    out.push(candidate);
  }
  return out;
}
