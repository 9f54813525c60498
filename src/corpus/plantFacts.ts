/**
 * Planting many facts in a workspace of real files, for multi-question benchmarks: each fact is one line
 * `const {key} = {value};` (the bundled model's template) inserted at a random line of a random file, with distractor
 * facts whose keys share the fact's prefix or suffix elsewhere. Every fact has a distinct key; all are asked.
 */
import {distractorKeys, formatFact, formatQuestion, randomKey, randomValue, type Fact} from "./facts";
import {Rng} from "./rng";

export interface PlantedFact extends Fact {
  path: string;
  /** 1-based line of the fact in its file after planting. */
  line: number;
  question: string;
}

export interface PlantedWorkspace {
  files: Record<string, string>;
  facts: PlantedFact[];
  distractors: (Fact & {path: string})[];
}

export function plantFacts(
  files: Readonly<Record<string, string>>,
  options: {facts: number; distractorsPerFact?: number; seed: number | string}
): PlantedWorkspace {
  const rng = new Rng(`plant:${options.seed}`);
  const paths = Object.keys(files).sort();
  if (paths.length === 0) throw new Error("plantFacts: no files");
  const lines = new Map(paths.map((p) => [p, files[p].replace(/\n$/, "").split("\n")]));
  const used = new Set<string>();
  const planted: {fact: Fact; path: string; kind: "fact" | "distractor"; marker: object}[] = [];
  for (let i = 0; i < options.facts; i++) {
    let key = randomKey(rng);
    while (used.has(key)) key = randomKey(rng);
    used.add(key);
    const fact = {key, value: randomValue(rng)};
    const distractors = distractorKeys(rng, key, options.distractorsPerFact ?? 2, used).map(
      (k) => (used.add(k), {key: k, value: randomValue(rng)})
    );
    planted.push({fact, path: rng.pick(paths), kind: "fact", marker: {}});
    for (const d of distractors) planted.push({fact: d, path: rng.pick(paths), kind: "distractor", marker: {}});
  }
  // Insert at random line boundaries; markers let us find each fact's final line after all insertions.
  const rows = new Map<string, (string | {text: string; marker: object})[]>(paths.map((p) => [p, [...lines.get(p)!]]));
  for (const p of planted) {
    const r = rows.get(p.path)!;
    r.splice(rng.int(0, r.length), 0, {text: formatFact(p.fact), marker: p.marker});
  }
  const out: Record<string, string> = {};
  const lineOf = new Map<object, number>();
  for (const p of paths) {
    const r = rows.get(p)!;
    r.forEach((x, i) => typeof x !== "string" && lineOf.set(x.marker, i + 1));
    out[p] = r.map((x) => (typeof x === "string" ? x : x.text)).join("\n") + "\n";
  }
  return {
    files: out,
    facts: planted
      .filter((p) => p.kind === "fact")
      .map((p) => ({...p.fact, path: p.path, line: lineOf.get(p.marker)!, question: formatQuestion(p.fact.key)})),
    distractors: planted.filter((p) => p.kind === "distractor").map((p) => ({...p.fact, path: p.path})),
  };
}
