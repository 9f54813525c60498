/** Synthetic code repositories: a set of files rendered into one context string. */
import {type FileFlavour, generateFile, pickFlavour} from "./codeFiles";
import {Rng} from "./rng";

export interface Repository {
  /** path -> file content (each line ends with "\n"). */
  files: Record<string, string>;
}

export interface RepositoryOptions {
  /** Approximate total characters over all files (default 6000). */
  totalChars?: number;
  /** Number of files (default: about one per 1500 chars, at least 1). */
  fileCount?: number;
  /** Restrict the flavours used. */
  flavours?: readonly FileFlavour[];
}

/** Header line that introduces each file in a rendered context. */
export const fileHeader = (path: string) => `// file: ${path}\n`;

/** Render files in insertion order as one context string. */
export function renderRepository(files: Record<string, string>): string {
  return Object.entries(files)
    .map(([path, content]) => fileHeader(path) + content)
    .join("");
}

/** Deterministic synthetic repository for `seed`. */
export function generateRepository(seed: number | string, options: RepositoryOptions = {}): Repository {
  const rng = new Rng(`repo:${seed}`);
  const totalChars = options.totalChars ?? 6000;
  const fileCount = Math.max(1, options.fileCount ?? Math.round(totalChars / 1500));
  const perFile = totalChars / fileCount;
  const files: Record<string, string> = {};
  for (let i = 0; i < fileCount; i++) {
    const flavour = options.flavours ? rng.pick(options.flavours) : pickFlavour(rng);
    // ~28 chars per line on average; trim to the budget so sizes are predictable.
    const file = generateFile(rng, flavour, Math.max(4, Math.round(perFile / 28)));
    let content = "";
    for (const line of file.lines) {
      if (content.length + line.length + 1 > perFile && content.length > 0) break;
      content += line + "\n";
    }
    let path = file.path;
    for (let n = 2; path in files; n++) path = file.path.replace(/(\.[a-z]+)$/, `${n}$1`);
    files[path] = content;
  }
  return {files};
}
