/**
 * The whole repository in memory, for question time: the block table and its dense summary matrix (from index.bin),
 * the BM25 index of block texts, and each file's record key. Nothing here holds tokens or KV rows; those stay in the
 * records until a question selects their blocks.
 */
import {keySimilarity, normaliseSegments, queryBoundScores} from "../../core/blockScoring";
import {SUMMARY_PARTS} from "../store/blockSummaries";
import type {RepositoryBlocks} from "../../core/memorySelection";
import type {DecodedRecord, FileRecord} from "../store/fileRecord";
import {blockCount, type BlockTable} from "../store/indexFile";
import {blockId, type LexicalIndex} from "./lexicalIndex";

export interface IndexedFile {
  path: string;
  record: string;
  headerTokens: number;
  bodyTokens: number;
  blocks: number;
  /** Index of the file's first block in the table. */
  firstBlock: number;
}

export class RepositoryIndex {
  private readonly fileByRecord = new Map<string, number>();
  readonly blocks: RepositoryBlocks;

  constructor(
    readonly files: readonly IndexedFile[],
    readonly table: BlockTable,
    readonly lexical: LexicalIndex
  ) {
    files.forEach((f, i) => this.fileByRecord.set(f.record, i));
    const n = blockCount(table);
    const tokens = new Int32Array(n);
    for (let b = 0; b < n; b++) tokens[b] = table.end[b] - table.start[b];
    this.blocks = {fileOf: table.fileOf, tokens, headerTokens: Int32Array.from(files, (f) => f.headerTokens)};
  }

  get blockCount(): number {
    return blockCount(this.table);
  }

  get summaryDim(): number {
    return this.table.segments * this.table.segmentDim;
  }

  /** BM25 score of every block (0 where no term matches). */
  lexicalScores(question: string): Float32Array {
    const out = new Float32Array(this.blockCount);
    for (const [id, score] of this.lexical.scores(question)) {
      const hash = id.lastIndexOf("#");
      const f = this.fileByRecord.get(id.slice(0, hash));
      if (f == null) continue;
      const b = Number(id.slice(hash + 1));
      if (b < this.files[f].blocks) out[this.files[f].firstBlock + b] = score;
    }
    return out;
  }

  /** Key-summary similarity (cosine) of every block's key-box centre to the question's (segment-normalised) keys. */
  keyScores(keys: Float32Array, nKeys: number): Float32Array {
    if (!this.unitCentres) {
      const lo = this.part(0);
      const hi = this.part(1);
      const centre = new Float32Array(lo.length);
      for (let i = 0; i < lo.length; i++) centre[i] = (lo[i] + hi[i]) / 2;
      this.unitCentres = normaliseSegments(centre, this.blockCount, this.table.segments / SUMMARY_PARTS, this.table.segmentDim);
    }
    return keySimilarity(this.unitCentres, this.blockCount, keys, nKeys, this.table.segments / SUMMARY_PARTS, this.table.segmentDim);
  }

  /** Quest's bound of the question's query vectors (rows × layers × nHead × d) on every block's key box. */
  queryScores(queries: Float32Array, nRows: number, layers: number, nHead: number): Float32Array {
    const nHeadKv = this.table.segments / SUMMARY_PARTS / layers;
    return queryBoundScores(this.part(0), this.part(1), this.blockCount, queries, nRows, layers, nHead, nHeadKv, this.table.segmentDim);
  }

  private unitCentres?: Float32Array;
  private readonly parts: Float32Array[] = [];

  /** Part p of every block's summary row (0 min, 1 max) as one dense blocks × (layers × H_kv × d) matrix. */
  private part(p: number): Float32Array {
    if (this.parts[p]) return this.parts[p];
    const n = this.blockCount;
    const dim = this.summaryDim;
    const w = dim / SUMMARY_PARTS;
    const out = new Float32Array(n * w);
    for (let b = 0; b < n; b++) out.set(this.table.summaries.subarray(b * dim + p * w, b * dim + (p + 1) * w), b * w);
    return (this.parts[p] = out);
  }
}

/** Assembles the table of a new manifest from the previous table (unchanged files) and new records. */
export class BlockTableBuilder {
  private readonly fileOf: number[] = [];
  private readonly start: number[] = [];
  private readonly end: number[] = [];
  private readonly startLine: number[] = [];
  private readonly endLine: number[] = [];
  private readonly score: number[] = [];
  private readonly summaries: Float32Array[] = [];
  readonly files: IndexedFile[] = [];

  constructor(
    readonly segments: number,
    readonly segmentDim: number
  ) {}

  /** A file whose blocks are rows [first, first + count) of `table`. */
  addFromTable(meta: Omit<IndexedFile, "firstBlock">, table: BlockTable, first: number) {
    const f = this.openFile(meta);
    const dim = this.segments * this.segmentDim;
    for (let b = first; b < first + meta.blocks; b++) {
      this.push(f, table.start[b], table.end[b], table.startLine[b], table.endLine[b], table.score[b]);
      this.summaries.push(table.summaries.subarray(b * dim, (b + 1) * dim));
    }
  }

  /** A file read now (or its record read back). */
  addFromRecord(record: string, rec: FileRecord | DecodedRecord) {
    const m = rec.meta;
    const f = this.openFile({path: m.path, record, headerTokens: m.headerTokens, bodyTokens: m.bodyTokens, blocks: m.blocks});
    const dim = this.segments * this.segmentDim;
    for (let b = 0; b < m.blocks; b++) {
      const s = rec.offsets[b];
      const e = rec.offsets[b + 1];
      this.push(f, s, e, rec.lines[s], rec.lines[e - 1], rec.blockScores[b]);
      const row = new Float32Array(dim);
      if (m.summaryDim === dim && dim > 0) row.set(rec.summaries.subarray(b * dim, (b + 1) * dim));
      this.summaries.push(row);
    }
  }

  build(): BlockTable {
    const n = this.fileOf.length;
    const dim = this.segments * this.segmentDim;
    const summaries = new Float32Array(n * dim);
    this.summaries.forEach((row, b) => summaries.set(row, b * dim));
    return {
      fileOf: Int32Array.from(this.fileOf),
      start: Int32Array.from(this.start),
      end: Int32Array.from(this.end),
      startLine: Int32Array.from(this.startLine),
      endLine: Int32Array.from(this.endLine),
      score: Float32Array.from(this.score),
      segments: this.segments,
      segmentDim: this.segmentDim,
      summaries,
    };
  }

  private openFile(meta: Omit<IndexedFile, "firstBlock">): number {
    this.files.push({...meta, firstBlock: this.fileOf.length});
    return this.files.length - 1;
  }

  private push(f: number, s: number, e: number, l0: number, l1: number, score: number) {
    this.fileOf.push(f);
    this.start.push(s);
    this.end.push(e);
    this.startLine.push(l0);
    this.endLine.push(l1);
    this.score.push(score);
  }
}

export {blockId};
