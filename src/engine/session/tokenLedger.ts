import type {TokenRange} from "../../core/types";

/** Where a token came from: a file (index into the ledger's file list) and its 1-based line, or a prompt part. */
export const SOURCE_PROMPT = -1;

export interface LedgerFile {
  path: string;
  /** Token index (at the time of appending) where the file's header starts; informational. */
  tokens: number;
}

/**
 * Book-keeping for every token held in the KV sequence, in position order, kept in lock-step with
 * `sequence.contextTokens`: id, text, source file and line, pinned flag, and an optional per-token score that
 * was measured while prefilling (surprisal). Evicting ranges from the KV cache evicts them here too.
 */
export class TokenLedger {
  ids: number[] = [];
  texts: string[] = [];
  fileIndex: number[] = [];
  lines: number[] = [];
  pinned: number[] = [];
  prefillScores: number[] = [];
  /** Key-norm score of each token, measured once (RoPE and later erasures leave a key's norm unchanged); NaN = not yet. */
  keyNorms: number[] = [];
  /** Per token as a query: attention mass on recent vs older keys (attention probe, dense mode); NaN = unmeasured. */
  localMass: number[] = [];
  distantMass: number[] = [];
  /** Token indices where a file (its header) starts: blocks never cross them. */
  fileStarts: number[] = [];
  readonly files: LedgerFile[] = [];

  get length(): number {
    return this.ids.length;
  }

  append(
    ids: readonly number[],
    texts: readonly string[],
    meta: {
      file: number;
      lines?: readonly number[];
      pinned?: boolean;
      scores?: ArrayLike<number>;
      local?: ArrayLike<number>;
      distant?: ArrayLike<number>;
      /** Key-norm scores measured while prefilling (the KV hook); otherwise read later from the state. */
      keyNorms?: ArrayLike<number>;
    }
  ) {
    for (let i = 0; i < ids.length; i++) {
      this.ids.push(ids[i]);
      this.texts.push(texts[i]);
      this.fileIndex.push(meta.file);
      this.lines.push(meta.lines ? meta.lines[i] : 0);
      this.pinned.push(meta.pinned ? 1 : 0);
      this.prefillScores.push(meta.scores ? meta.scores[i] : 0);
      this.keyNorms.push(meta.keyNorms ? meta.keyNorms[i] : NaN);
      this.localMass.push(meta.local ? meta.local[i] : NaN);
      this.distantMass.push(meta.distant ? meta.distant[i] : NaN);
    }
  }

  markFileStart(index: number) {
    this.fileStarts.push(index);
  }

  /** Drops the given sorted, disjoint ranges (the same ones erased from the KV cache). */
  erase(ranges: readonly TokenRange[]) {
    if (ranges.length === 0) return;
    const n = this.length;
    const drop = new Uint8Array(n);
    for (const r of ranges) drop.fill(1, Math.max(0, r.start), Math.min(n, r.end));
    const remap = new Int32Array(n + 1);
    let kept = 0;
    for (let i = 0; i < n; i++) {
      remap[i] = kept;
      if (!drop[i]) kept++;
    }
    remap[n] = kept;
    const keep = <T>(arr: T[]) => arr.filter((_, i) => !drop[i]);
    this.ids = keep(this.ids);
    this.texts = keep(this.texts);
    this.fileIndex = keep(this.fileIndex);
    this.lines = keep(this.lines);
    this.pinned = keep(this.pinned);
    this.prefillScores = keep(this.prefillScores);
    this.keyNorms = keep(this.keyNorms);
    this.localMass = keep(this.localMass);
    this.distantMass = keep(this.distantMass);
    // A file start survives if its first token does (its header is pinned, so it always does).
    this.fileStarts = this.fileStarts.filter((s) => s < n && !drop[s]).map((s) => remap[s]);
  }

  /** Drops everything from `index` on (the question and answer after a turn). */
  truncate(index: number) {
    if (index >= this.length) return;
    this.erase([{start: index, end: this.length}]);
  }

  /** Index of the first token whose key norm is not measured yet (tokens are appended, so all after it are not either). */
  firstUnmeasuredKeyNorm(): number {
    let i = this.keyNorms.length;
    while (i > 0 && Number.isNaN(this.keyNorms[i - 1])) i--;
    return i;
  }

  pinnedMask(): Uint8Array {
    return Uint8Array.from(this.pinned);
  }

  /** Plain-data copy (for the persistent cache). */
  toJSON() {
    return {
      ids: this.ids,
      texts: this.texts,
      fileIndex: this.fileIndex,
      lines: this.lines,
      pinned: this.pinned,
      prefillScores: this.prefillScores,
      keyNorms: this.keyNorms,
      localMass: this.localMass,
      distantMass: this.distantMass,
      fileStarts: this.fileStarts,
      files: this.files,
    };
  }

  static fromJSON(data: ReturnType<TokenLedger["toJSON"]>): TokenLedger {
    const l = new TokenLedger();
    const nan = (a: (number | null)[]) => a.map((v) => (v == null ? NaN : v)); // JSON turns NaN into null
    Object.assign(l, {
      ids: data.ids,
      texts: data.texts,
      fileIndex: data.fileIndex,
      lines: data.lines,
      pinned: data.pinned,
      prefillScores: data.prefillScores,
      keyNorms: nan(data.keyNorms ?? data.ids.map(() => null)),
      localMass: nan(data.localMass),
      distantMass: nan(data.distantMass),
      fileStarts: data.fileStarts,
    });
    l.files.push(...data.files);
    return l;
  }
}
