/**
 * BM25 over the text of every block of the repository, for the question-time proxy on binaries without attention
 * output. MiniSearch (lucaong/minisearch) gives BM25+ ranking, incremental add/discard for edited files and a JSON
 * form to persist; terms are code-aware (identifiers and their snake/camel parts, core/blockScoring `codeTerms`).
 * Block ids are stable across ingests: `<record key>#<block index in the file>`.
 */
import MiniSearch from "minisearch";
import {codeTerms} from "../../core/blockScoring";

interface BlockDocument {
  id: string;
  text: string;
  path: string;
}

const OPTIONS = {
  fields: ["text", "path"],
  storeFields: [] as string[],
  tokenize: (text: string) => codeTerms(text),
  processTerm: (term: string) => term,
  searchOptions: {boost: {path: 0.5}, combineWith: "OR" as const},
};

export function blockId(recordKey: string, block: number): string {
  return `${recordKey}#${block}`;
}

export class LexicalIndex {
  private constructor(private readonly search: MiniSearch<BlockDocument>) {}

  static empty(): LexicalIndex {
    return new LexicalIndex(new MiniSearch<BlockDocument>(OPTIONS));
  }

  static fromJSON(json: string): LexicalIndex {
    return new LexicalIndex(MiniSearch.loadJSON<BlockDocument>(json, OPTIONS));
  }

  get documentCount(): number {
    return this.search.documentCount;
  }

  has(id: string): boolean {
    return this.search.has(id);
  }

  addFile(recordKey: string, path: string, blockTexts: readonly string[]) {
    this.search.addAll(blockTexts.map((text, b) => ({id: blockId(recordKey, b), text, path})));
  }

  discardFile(recordKey: string, blocks: number) {
    for (let b = 0; b < blocks; b++) {
      const id = blockId(recordKey, b);
      if (this.search.has(id)) this.search.discard(id);
    }
  }

  /** BM25+ score of every block id that matches any term of the question. */
  scores(question: string): Map<string, number> {
    const out = new Map<string, number>();
    if (codeTerms(question).length === 0) return out;
    for (const r of this.search.search(question)) out.set(String(r.id), r.score);
    return out;
  }

  toJSON(): string {
    return JSON.stringify(this.search);
  }
}
