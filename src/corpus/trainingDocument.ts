/**
 * Training documents for the bundled model: code (synthetic or real) dense with planted facts,
 * and question/answer lines asking about facts seen earlier in the same document.
 */
import {type Fact, distractorKeys, formatFact, formatQuestion, randomKey, randomValue} from "./facts";
import {fileHeader, generateRepository} from "./repository";
import {Rng} from "./rng";

export interface TrainingDocumentOptions {
  /** Approximate size in characters. */
  chars: number;
  /** Real source files to use as filler for part of the documents. */
  realCode?: readonly string[];
  /** Fraction of filler taken from realCode when available (default 0.4). */
  realCodeShare?: number;
  /** Fraction of the characters that is filler code (default: per document, 0.2..0.8); the rest is facts and questions. */
  fillerShare?: number;
}

export interface TrainingDocument {
  text: string;
  /** Character spans of answer values (the tokens the loss weights up). */
  answers: {start: number; end: number}[];
}

function fillerLines(rng: Rng, options: TrainingDocumentOptions, budget: number): string[] {
  const useReal = options.realCode && options.realCode.length > 0 && rng.chance(options.realCodeShare ?? 0.4);
  const lines: string[] = [];
  let chars = 0;
  while (chars < budget) {
    if (useReal && rng.chance(0.8)) {
      const file = rng.pick(options.realCode!).split("\n");
      const from = rng.int(0, Math.max(0, file.length - 10));
      lines.push(fileHeader(`src/${rng.int(0, 99)}/index.ts`).slice(0, -1));
      for (let i = from; i < file.length && chars < budget; i++) {
        const line = file[i].length > 200 ? file[i].slice(0, 200) : file[i];
        lines.push(line);
        chars += line.length + 1;
        if (rng.chance(0.02)) break;
      }
    } else {
      const repo = generateRepository(rng.u32(), {totalChars: Math.max(200, Math.min(1500, budget - chars)), fileCount: 1});
      for (const [path, content] of Object.entries(repo.files)) {
        lines.push(fileHeader(path).slice(0, -1));
        for (const line of content.replace(/\n$/, "").split("\n")) {
          lines.push(line);
          chars += line.length + 1;
        }
      }
    }
  }
  return lines;
}

/** Deterministic training document for `seed`. */
export function generateTrainingDocument(seed: number | string, options: TrainingDocumentOptions): TrainingDocument {
  const rng = new Rng(`train:${seed}`);
  // Part of the characters is filler code; facts and questions fill the rest.
  const fillerShare = options.fillerShare ?? rng.pick([0.2, 0.4, 0.6, 0.8]);
  const lines = fillerLines(rng, options, options.chars * fillerShare);
  // A fact line plus one question about it is ~45 characters.
  const factBudget = options.chars * (1 - fillerShare);
  const factCount = Math.max(2, Math.round(factBudget / rng.pick([45, 55, 70])));
  // Groups of keys sharing a prefix or suffix make every lookup need the whole key.
  const facts: Fact[] = [];
  const used = new Set<string>();
  while (facts.length < factCount) {
    const key = randomKey(rng);
    if (used.has(key)) continue;
    for (const k of [key, ...distractorKeys(rng, key, rng.int(0, 4), used)]) {
      used.add(k);
      facts.push({key: k, value: randomValue(rng)});
    }
  }
  rng.shuffle(facts);
  // Plant facts at random line positions, ordered; mention some keys without a value too.
  const events: {at: number; text: string; fact?: Fact}[] = facts.map((fact) => ({
    at: rng.int(0, lines.length),
    text: formatFact(fact),
    fact,
  }));
  for (let i = rng.int(0, 3); i > 0; i--) {
    const k = rng.pick(facts).key;
    events.push({
      at: rng.int(0, lines.length),
      text: rng.pick([`  if (${k} > 0) retry(${k});`, `print(${k})`, `  ${k}: number;`, `log("${k}", ${k});`]),
    });
  }
  events.sort((a, b) => a.at - b.at);

  let text = "";
  const answers: TrainingDocument["answers"] = [];
  const seen: Fact[] = [];
  const ask = () => {
    // Favour facts far back so long-range lookups get trained.
    const fact = rng.chance(0.3) ? seen[rng.int(0, Math.max(0, Math.floor(seen.length / 2)))] : rng.pick(seen);
    text += formatQuestion(fact.key);
    answers.push({start: text.length, end: text.length + fact.value.length});
    text += fact.value + "\n";
  };
  // About one question per fact, spread over the document.
  const askChance = Math.min(0.9, facts.length / (lines.length + events.length + 1));
  let e = 0;
  for (let i = 0; i <= lines.length; i++) {
    while (e < events.length && events[e].at === i) {
      text += events[e].text + "\n";
      if (events[e].fact) seen.push(events[e].fact!);
      e++;
      if (seen.length && rng.chance(askChance)) ask();
    }
    if (i < lines.length) text += lines[i] + "\n";
    if (seen.length && rng.chance(askChance)) ask();
  }
  for (let q = rng.int(3, 8); q > 0 && seen.length; q--) ask();
  return {text, answers};
}
