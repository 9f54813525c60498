/** One block of the workspace as the visualizer shows it: where it is, whether it was kept, and its score. */
export interface BlockRecord {
  file: string;
  startLine: number;
  endLine: number;
  tokens: number;
  keptTokens: number;
  score: number;
  /** The token the block's boundary landed on. */
  boundary: string;
  /** The block's text (for the chat's references); empty for evicted blocks and in summaries of the repository memory. */
  text: string;
}

/**
 * Blocks seen over a whole ingestion: a block evicted at one compression point is never seen again, so the map
 * is the evicted history plus the final segmentation of what is still kept.
 */
export class BlockMapRecorder {
  private readonly evicted: BlockRecord[] = [];
  private final: BlockRecord[] = [];

  /** Evicted blocks are kept as their place and score only: their text is never needed again (nor sent anywhere). */
  recordEvicted(blocks: readonly BlockRecord[]) {
    for (const b of blocks)
      if (b.keptTokens < b.tokens) this.evicted.push({...b, tokens: b.tokens - b.keptTokens, keptTokens: 0, text: ""});
  }

  setFinal(blocks: readonly BlockRecord[]) {
    this.final = blocks.filter((b) => b.keptTokens > 0).map((b) => ({...b, tokens: b.keptTokens}));
  }

  kept(): BlockRecord[] {
    return this.final;
  }

  toJSON() {
    return {evicted: this.evicted, final: this.final};
  }

  restore(data: {evicted: BlockRecord[]; final: BlockRecord[]}) {
    this.evicted.splice(0, this.evicted.length, ...data.evicted);
    this.final = data.final;
  }

  all(): BlockRecord[] {
    return [...this.evicted, ...this.final].sort((a, b) =>
      a.file < b.file ? -1 : a.file > b.file ? 1 : a.startLine - b.startLine || b.keptTokens - a.keptTokens
    );
  }
}
