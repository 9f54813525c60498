/**
 * The fidelity bench's inputs, built from real code the model never trained on (excerpts of a pool of files, in
 * practice the Python standard library): one-needle cases (one fact, hard distractors, a chosen depth; value kinds and
 * key shapes in turn so every kind is measured alike) and workspaces of many facts, all asked after one compression.
 * Every fact is asked twice: its value (`Q: {key} =`) and its file (`Q: file of {key} is`).
 */
import {
  KEY_SHAPES,
  VALUE_KINDS,
  formatFact,
  formatFileQuestion,
  formatQuestion,
  generateCase,
  keyShapeOf,
  valueKindOf,
  type KeyShape,
  type ValueKind,
} from "../../corpus";
import {codeExcerpts} from "../../corpus/codeExcerpts";
import {plantFacts} from "../../corpus/plantFacts";

/** One planted fact and its two questions. */
export interface AskedFact {
  key: string;
  value: string;
  /** The file the fact is in: the file question's answer. */
  path: string;
  valueKind: ValueKind;
  shape: KeyShape;
  /** Where the fact line sits in the context, 0 (start) to 1 (end). */
  depth: number;
  valueQuestion: string;
  fileQuestion: string;
}

/** One context to compress and the facts asked after it. */
export interface BenchInput {
  id: string;
  documents: {path: string; content: string}[];
  facts: AskedFact[];
}

export interface ContextSize {
  contextTokens: number;
  /** Characters per token of the model's tokenizer on this code (measured by the runner): the first guess. */
  charsPerToken: number;
  /** Exact tokens of documents (Engine.documentTokens): each input is then refitted to within 2 % of contextTokens,
   *  as code differs in how many characters a token holds. */
  tokensOf?: (documents: BenchInput["documents"]) => number;
}

/**
 * Builds an input from a character count, then searches the count (false position within the bracket found so far)
 * until the input's tokens are within 2 % of the target; the closest input if 8 tries do not get there.
 */
function fitted(size: ContextSize, build: (chars: number) => BenchInput): BenchInput {
  const target = size.contextTokens;
  let chars = Math.round(target * size.charsPerToken);
  let input = build(chars);
  if (!size.tokensOf) return input;
  let best = {input, miss: Infinity};
  let below: [number, number] | undefined; // [chars, tokens] with tokens < target
  let above: [number, number] | undefined;
  for (let i = 0; i < 8; i++) {
    const tokens = size.tokensOf(input.documents);
    const miss = Math.abs(tokens - target);
    if (miss < best.miss) best = {input, miss};
    if (miss <= 0.02 * target) break;
    if (tokens < target) below = [chars, tokens];
    else above = [chars, tokens];
    chars =
      below && above
        ? Math.round(below[0] + ((above[0] - below[0]) * (target - below[1])) / Math.max(1, above[1] - below[1]))
        : Math.round((chars * target) / tokens);
    input = build(chars);
  }
  return best.input;
}

/** About one file per 400 tokens (at least 2): the file headers, always kept, then still fit a 10 % budget. */
function excerptOptions(targetChars: number, contextTokens: number) {
  const files = Math.max(2, Math.round(contextTokens / 400));
  const maxChars = Math.round((1.4 * targetChars) / files);
  return {minChars: Math.round(maxChars / 2), maxChars};
}

/**
 * `count` one-needle cases with depths spread evenly over [depthFrom, depthTo) and value kinds and key shapes taken
 * in turn. The needle's file is one of several; 4 distractors share the needle key's prefix or suffix.
 */
export function needleCases(
  pool: Readonly<Record<string, string>>,
  o: ContextSize & {count: number; seed: string; depthFrom?: number; depthTo?: number; distractors?: number}
): BenchInput[] {
  const from = o.depthFrom ?? 0;
  const to = o.depthTo ?? 1;
  // Excerpt sizes by the first guess only, so that a refit changes how much code is read, not which.
  const sizes = excerptOptions(Math.round(o.contextTokens * o.charsPerToken), o.contextTokens);
  return Array.from({length: o.count}, (_, i) => fitted(o, (targetChars) => needleCase(pool, o, i, targetChars, sizes, from, to)));
}

function needleCase(
  pool: Readonly<Record<string, string>>,
  o: {count: number; seed: string; distractors?: number},
  i: number,
  targetChars: number,
  sizes: {minChars: number; maxChars: number},
  from: number,
  to: number
): BenchInput {
  const seed = `${o.seed}:${i}`;
  const haystack = codeExcerpts(pool, {seed, chars: Math.round(1.3 * targetChars), ...sizes});
  const c = generateCase(seed, {
    contextChars: targetChars,
    needleDepth: from + ((to - from) * (i + 0.5)) / o.count,
    distractors: o.distractors ?? 4,
    haystack,
    valueKind: VALUE_KINDS[i % VALUE_KINDS.length],
    keyShape: KEY_SHAPES[Math.floor(i / VALUE_KINDS.length) % KEY_SHAPES.length],
  });
  const fact: AskedFact = {
    key: c.needle.key,
    value: c.needle.value,
    path: c.needle.path,
    valueKind: c.needle.kind,
    shape: c.needle.shape,
    depth: c.needle.depth,
    valueQuestion: c.question,
    fileQuestion: c.fileQuestion,
  };
  return {id: c.id, documents: Object.entries(c.files).map(([path, content]) => ({path, content})), facts: [fact]};
}

/**
 * `count` workspaces of real-code excerpts with `facts` facts each (and `distractorsPerFact` keys sharing each fact
 * key's prefix or suffix), planted at random lines of random files; every fact is asked.
 */
export function factWorkspaces(
  pool: Readonly<Record<string, string>>,
  o: ContextSize & {count: number; facts: number; seed: string; distractorsPerFact?: number}
): BenchInput[] {
  const perFact = 1 + (o.distractorsPerFact ?? 2);
  // The planted lines take room too (~40 characters each), so the excerpts leave it.
  const codeCharsOf = (targetChars: number) => Math.max(1000, targetChars - 40 * perFact * o.facts);
  const sizes = excerptOptions(codeCharsOf(Math.round(o.contextTokens * o.charsPerToken)), o.contextTokens);
  return Array.from({length: o.count}, (_, i) => fitted(o, (targetChars) => factWorkspace(pool, o, i, codeCharsOf(targetChars), sizes)));
}

function factWorkspace(
  pool: Readonly<Record<string, string>>,
  o: {facts: number; seed: string; distractorsPerFact?: number},
  i: number,
  codeChars: number,
  sizes: {minChars: number; maxChars: number}
): BenchInput {
  const seed = `${o.seed}:${i}`;
  const excerpts = cutTo(codeExcerpts(pool, {seed, chars: codeChars, ...sizes}), codeChars);
  const ws = plantFacts(excerpts, {facts: o.facts, distractorsPerFact: o.distractorsPerFact ?? 2, seed});
  const documents = Object.entries(ws.files).map(([path, content]) => ({path, content}));
  const total = documents.reduce((a, d) => a + d.content.length, 0);
  const offsetOf = new Map<string, number>();
  let at = 0;
  for (const d of documents) {
    offsetOf.set(d.path, at);
    at += d.content.length;
  }
  const facts = ws.facts.map((f): AskedFact => {
    const lineStart = ws.files[f.path]
      .split("\n")
      .slice(0, f.line - 1)
      .join("\n").length;
    return {
      key: f.key,
      value: f.value,
      path: f.path,
      valueKind: valueKindOf(f.value)!,
      shape: keyShapeOf(f.key)!,
      depth: (offsetOf.get(f.path)! + lineStart) / total,
      valueQuestion: formatQuestion(f.key),
      fileQuestion: formatFileQuestion(f.key),
    };
  });
  return {id: `workspace-${seed}`, documents, facts};
}

/** The excerpts in order up to `chars` characters, the last one cut after a whole line. */
function cutTo(files: Record<string, string>, chars: number): Record<string, string> {
  const out: Record<string, string> = {};
  let total = 0;
  for (const [path, content] of Object.entries(files)) {
    let text = "";
    for (const line of content.replace(/\n$/, "").split("\n")) {
      if (total + text.length + line.length + 1 > chars) break;
      text += line + "\n";
    }
    if (text) out[path] = text;
    total += text.length;
    if (text.length < content.length) break;
  }
  return out;
}

/** The fact line as the context holds it (for checks that a question's answer is really there). */
export function factLine(f: Pick<AskedFact, "key" | "value">): string {
  return formatFact({key: f.key, value: f.value});
}
