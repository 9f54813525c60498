/**
 * Needle-in-a-haystack retrieval cases: one fact (the needle) planted at a chosen depth of a
 * code context, hard distractors (keys sharing the needle's prefix or suffix) elsewhere, and
 * a question at the end whose answer is the needle's value.
 */
import {
  type Fact,
  type KeyShape,
  type ValueKind,
  distractorKeys,
  formatFact,
  formatFileQuestion,
  formatQuestion,
  keyShapeOf,
  randomKey,
  randomValue,
  valueKindOf,
} from "./facts";
import {fileHeader, generateRepository} from "./repository";
import {Rng} from "./rng";

export interface CaseOptions {
  /** Target context size in characters (the haystack, without the question). */
  contextChars?: number;
  /** Alternative to contextChars: tokens x charsPerToken. */
  contextTokens?: number;
  /** Characters per token of the target tokenizer (default DEFAULT_CHARS_PER_TOKEN). */
  charsPerToken?: number;
  /** 0 = start of the context, 1 = end. Default: uniform random. */
  needleDepth?: number;
  /** Number of distractor facts (default 4). */
  distractors?: number;
  /** Number of synthetic files (default: by size). Ignored with `haystack`. */
  fileCount?: number;
  /** Plant the facts into these files (e.g. real source code) instead of synthetic ones. */
  haystack?: Record<string, string>;
  /** The needle key's shape (default: random); distractors share it. */
  keyShape?: KeyShape;
  /** The needle value's kind (default: random). */
  valueKind?: ValueKind;
}

export interface NeedleCase {
  id: string;
  /** Files after planting, in context order. */
  files: Record<string, string>;
  /** All files rendered with `// file: path` headers. Ends with "\n". */
  context: string;
  needle: Fact & {
    /** Character range of the needle line (including its "\n") inside `context`. */
    start: number;
    end: number;
    depth: number;
    /** The file the needle is planted in. */
    path: string;
    shape: KeyShape;
    kind: ValueKind;
  };
  distractors: Fact[];
  /** Question text; the prompt is `context + question` and the answer (` {value}`) follows, ending at `;`. */
  question: string;
  answer: string;
  /** The file question about the needle (`Q: file of {key} is`); its answer is `needle.path`. */
  fileQuestion: string;
}

/** Measured for models/dynsplit-tiny.gguf (Phi-3's vocabulary) on generated cases, so contextTokens lands near its target. */
export const DEFAULT_CHARS_PER_TOKEN = 3.0;

interface Line {
  text: string;
  header?: string;
  planted?: "needle" | "distractor";
}

function haystackLines(rng: Rng, options: CaseOptions, targetChars: number): Line[] {
  const files = options.haystack ?? generateRepository(rng.u32(), {totalChars: targetChars, fileCount: options.fileCount}).files;
  const lines: Line[] = [];
  let chars = 0;
  outer: for (const [path, content] of Object.entries(files)) {
    lines.push({text: fileHeader(path).slice(0, -1), header: path});
    chars += path.length + 10;
    for (const text of content.replace(/\n$/, "").split("\n")) {
      if (chars + text.length + 1 > targetChars) break outer;
      lines.push({text});
      chars += text.length + 1;
    }
  }
  return lines;
}

/** Deterministic retrieval case for `seed`. */
export function generateCase(seed: number | string, options: CaseOptions = {}): NeedleCase {
  const rng = new Rng(`case:${seed}`);
  const targetChars =
    options.contextChars ?? Math.round((options.contextTokens ?? 1000) * (options.charsPerToken ?? DEFAULT_CHARS_PER_TOKEN));
  const depth = options.needleDepth ?? rng.float();
  const key = randomKey(rng, options.keyShape);
  const needle: Fact = {key, value: randomValue(rng, options.valueKind)};
  const distractors = distractorKeys(rng, key, options.distractors ?? 4).map((k) => ({key: k, value: randomValue(rng)}));

  const needleLine = formatFact(needle);
  const plantedChars = [needle, ...distractors].reduce((n, f) => n + formatFact(f).length + 1, 0);
  const lines = haystackLines(rng, options, Math.max(200, targetChars - plantedChars));

  // Insert after a header at the earliest (index 1) so a needle never precedes the first file header.
  const slot = (d: number) => 1 + Math.min(lines.length - 1, Math.round(d * (lines.length - 1)));
  lines.splice(slot(depth), 0, {text: needleLine, planted: "needle"});
  for (const d of distractors) {
    let at = slot(rng.float());
    if (lines[at - 1]?.planted === "needle") at++; // keep distractors off the needle's neighbourhood
    lines.splice(at, 0, {text: formatFact(d), planted: "distractor"});
  }

  const files: Record<string, string> = {};
  let current = "";
  let context = "";
  let start = -1;
  let needlePath = "";
  for (const line of lines) {
    if (line.header !== undefined) {
      current = line.header;
      files[current] = "";
      context += line.text + "\n";
      continue;
    }
    if (line.planted === "needle") {
      start = context.length;
      needlePath = current;
    }
    files[current] += line.text + "\n";
    context += line.text + "\n";
  }
  return {
    id: `case-${seed}`,
    files,
    context,
    needle: {
      ...needle,
      start,
      end: start + needleLine.length + 1,
      depth,
      path: needlePath,
      shape: keyShapeOf(key)!,
      kind: valueKindOf(needle.value)!,
    },
    distractors,
    question: formatQuestion(key),
    answer: needle.value,
    fileQuestion: formatFileQuestion(key),
  };
}
