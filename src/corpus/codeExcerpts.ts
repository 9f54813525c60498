/**
 * Real files cut into short excerpts of whole lines, in a seeded order: a context of a few thousand tokens then holds
 * several files (whole standard-library modules are 10-60k characters each), so a question about where a fact lives
 * has more than one right-looking answer, and every case sees different code.
 */
import {Rng} from "./rng";

export interface ExcerptOptions {
  seed: number | string;
  /** Stop once the excerpts hold this many characters. */
  chars: number;
  /** Length of one excerpt in characters, drawn uniformly (whole lines; the last line may pass the maximum).
   *  Defaults 600-1800. */
  minChars?: number;
  maxChars?: number;
}

/** Excerpts of distinct files (at most one per file, in a seeded order), keyed by the file's own path. */
export function codeExcerpts(files: Readonly<Record<string, string>>, options: ExcerptOptions): Record<string, string> {
  const rng = new Rng(`excerpts:${options.seed}`);
  const minChars = options.minChars ?? 600;
  const maxChars = Math.max(minChars, options.maxChars ?? 1800);
  const paths = rng.shuffle(Object.keys(files).sort());
  const out: Record<string, string> = {};
  let total = 0;
  for (const path of paths) {
    if (total >= options.chars) break;
    const lines = files[path].replace(/\n$/, "").split("\n");
    const want = rng.int(minChars, maxChars);
    // Start anywhere that leaves room for a whole excerpt (the file's start when it is short).
    const chars = lines.map((l) => l.length + 1);
    let tail = 0;
    let lastStart = lines.length - 1;
    for (; lastStart > 0 && tail < want; lastStart--) tail += chars[lastStart];
    const start = rng.int(0, Math.max(0, lastStart));
    let text = "";
    for (let i = start; i < lines.length && text.length < want; i++) text += lines[i] + "\n";
    if (text.trim() === "") continue;
    out[path] = text;
    total += text.length;
  }
  return out;
}
