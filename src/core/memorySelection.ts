import {DynSplitInputError} from "./errors";
import {rankDescending} from "./selection";

/**
 * Query-time block selection over a whole repository (the "repository memory"): every block of every file has a
 * score for the question; the best blocks fill the budget, a file's header travels with its first selected block,
 * and the chosen blocks are laid out file by file, each file's blocks in file order.
 *
 * Blocks are given in repository order (file by file, each file's blocks in order), as the block store holds them.
 */
export interface RepositoryBlocks {
  /** File index of each block (non-decreasing). */
  fileOf: Int32Array;
  /** Tokens per block. */
  tokens: Int32Array;
  /** Header tokens per file (paid once, when the file's first block is selected). */
  headerTokens: Int32Array;
}

export interface MemorySelectionOptions {
  /** Tokens available for headers and blocks. */
  budgetTokens: number;
  /**
   * Order of the file groups in the context: `relevance` puts the best-scored file last, nearest to the question
   * (small models attend best to what is close); `repository` keeps repository order. Defaults to `relevance`.
   */
  order?: "relevance" | "repository";
}

export interface MemorySelection {
  /** Selected block indices in layout order: file group by file group, each file's blocks ascending. */
  blocks: Int32Array;
  /** File indices in layout order. */
  files: Int32Array;
  /** Header + block tokens the layout holds (≤ budgetTokens). */
  tokens: number;
  /** True when every block of the repository fits and was taken. */
  whole: boolean;
}

/** Block tables already checked: a repository is checked once, not at every question. */
const checked = new WeakSet<RepositoryBlocks>();

export function checkRepositoryBlocks(r: RepositoryBlocks): void {
  if (checked.has(r)) return;
  const n = r.fileOf.length;
  if (r.tokens.length !== n) throw new DynSplitInputError(`tokens has ${r.tokens.length} entries for ${n} blocks`);
  for (let b = 0; b < n; b++) {
    const f = r.fileOf[b];
    if (!Number.isInteger(f) || f < 0 || f >= r.headerTokens.length)
      throw new DynSplitInputError(`block ${b} names file ${f}, outside 0..${r.headerTokens.length - 1}`);
    if (b > 0 && f < r.fileOf[b - 1])
      throw new DynSplitInputError(`blocks must be in repository order (block ${b} goes back to file ${f})`);
    if (!(r.tokens[b] > 0)) throw new DynSplitInputError(`block ${b} has ${r.tokens[b]} tokens`);
  }
  checked.add(r);
}

/**
 * Greedy, deterministic: blocks in descending score (ties: the earlier block); a block is taken when it and, for a
 * file not yet opened, the file's header fit in what is left. When the whole repository fits, it is taken whole.
 */
export function selectMemoryBlocks(repo: RepositoryBlocks, scores: Float32Array, options: MemorySelectionOptions): MemorySelection {
  checkRepositoryBlocks(repo);
  const n = repo.fileOf.length;
  if (scores.length !== n) throw new DynSplitInputError(`scores has ${scores.length} entries for ${n} blocks`);
  const budget = options.budgetTokens;
  if (!Number.isInteger(budget) || budget < 0) throw new DynSplitInputError(`budgetTokens must be a non-negative integer, got ${budget}`);

  const nFiles = repo.headerTokens.length;
  const open = new Uint8Array(nFiles);
  const take = new Uint8Array(n);
  let whole = 0;
  for (let b = 0; b < n; b++) whole += repo.tokens[b];
  for (let f = 0; f < nFiles; f++) if (filesHaveBlocks(repo, f)) whole += repo.headerTokens[f];
  let used = 0;
  if (whole <= budget) {
    take.fill(1);
    used = whole;
    for (let b = 0; b < n; b++) open[repo.fileOf[b]] = 1;
  } else {
    let smallest = Infinity;
    for (let b = 0; b < n; b++) smallest = Math.min(smallest, repo.tokens[b]);
    const order = rankDescending(scores);
    for (let r = 0; r < n && budget - used >= smallest; r++) {
      const b = order[r];
      const f = repo.fileOf[b];
      const cost = repo.tokens[b] + (open[f] ? 0 : repo.headerTokens[f]);
      if (cost > budget - used) continue;
      take[b] = 1;
      open[f] = 1;
      used += cost;
    }
  }
  return layout(repo, scores, take, open, used, whole <= budget, options.order ?? "relevance");
}

function filesHaveBlocks(repo: RepositoryBlocks, f: number): boolean {
  // fileOf is sorted: binary search for f.
  let lo = 0;
  let hi = repo.fileOf.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (repo.fileOf[mid] < f) lo = mid + 1;
    else hi = mid;
  }
  return lo < repo.fileOf.length && repo.fileOf[lo] === f;
}

function layout(
  repo: RepositoryBlocks,
  scores: Float32Array,
  take: Uint8Array,
  open: Uint8Array,
  used: number,
  whole: boolean,
  order: "relevance" | "repository"
): MemorySelection {
  const best = new Float64Array(open.length).fill(-Infinity);
  for (let b = 0; b < take.length; b++) if (take[b]) best[repo.fileOf[b]] = Math.max(best[repo.fileOf[b]], scores[b]);
  const files: number[] = [];
  for (let f = 0; f < open.length; f++) if (open[f]) files.push(f);
  // Ascending best score, so the most relevant file ends nearest to the question; ties keep repository order.
  if (order === "relevance") files.sort((a, b) => best[a] - best[b] || a - b);
  const rank = new Int32Array(open.length);
  files.forEach((f, i) => (rank[f] = i));
  const blocks: number[] = [];
  for (let b = 0; b < take.length; b++) if (take[b]) blocks.push(b);
  blocks.sort((a, b) => rank[repo.fileOf[a]] - rank[repo.fileOf[b]] || a - b);
  return {blocks: Int32Array.from(blocks), files: Int32Array.from(files), tokens: used, whole};
}
