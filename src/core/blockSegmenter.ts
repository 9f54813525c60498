import {fixedChunks} from "./ddSelect";
import {DynSplitInputError} from "./errors";
import {DYNSPLIT_DEFAULTS, dynsplitOffsets, type DynSplitOptions} from "./methods/dynsplit";
import type {ImportanceSignal} from "./types";
import {positiveInteger} from "./validate";

/**
 * How the block store cuts every file into the units a question selects from. Each segmenter turns a file's
 * token texts (and a query-agnostic signal) into CSR block offsets, once, at ingest:
 * - `dynsplit`: DD-Select semantic blocks of C ± Δ tokens (this project's method);
 * - `pages`: fixed 16-token pages, as Quest (https://arxiv.org/abs/2406.10774) and ArkVale select;
 * - `chunkkv`: fixed 10-token chunks, ChunkKV's size (https://arxiv.org/abs/2502.00299).
 */
export const SEGMENTATION_NAMES = ["dynsplit", "pages", "chunkkv"] as const;
export type SegmentationName = (typeof SEGMENTATION_NAMES)[number];
export const SEGMENTATION_DESCRIPTIONS: Record<SegmentationName, string> = {
  dynsplit: "DynSplit's semantic blocks",
  pages: "fixed 16-token pages, Quest-like",
  chunkkv: "fixed 10-token chunks, ChunkKV's size",
};

export interface SegmenterOptions extends Pick<
  DynSplitOptions,
  "blockSize" | "tolerance" | "alpha" | "boundaryWindow" | "structureWeight"
> {
  /** Page length of `pages`. Defaults to 16 (Quest). */
  pageSize?: number;
  /** Chunk length of `chunkkv`. Defaults to 10 (the ChunkKV paper). */
  chunkSize?: number;
}

export interface BlockSegmenter {
  readonly name: SegmentationName;
  /** Longest block this segmenter can form: the width of a uniform slot. */
  readonly maxBlockTokens: number;
  /** Options that decide the blocks (part of the store's key). */
  readonly options: Readonly<Record<string, number>>;
  segment(tokenTexts: readonly string[], signal: ImportanceSignal | undefined, forcedStarts?: readonly number[]): Int32Array;
}

export function isSegmentationName(name: string): name is SegmentationName {
  return (SEGMENTATION_NAMES as readonly string[]).includes(name);
}

export function createSegmenter(name: string, options: SegmenterOptions = {}): BlockSegmenter {
  if (!isSegmentationName(name))
    throw new DynSplitInputError(`unknown segmentation "${name}"; choose one of ${SEGMENTATION_NAMES.join(", ")}`);
  switch (name) {
    case "dynsplit": {
      const blockSize = positiveInteger("blockSize", options.blockSize, DYNSPLIT_DEFAULTS.blockSize);
      const o = {
        blockSize,
        tolerance: options.tolerance ?? Math.min(DYNSPLIT_DEFAULTS.tolerance, Math.floor(blockSize / 2)),
        alpha: options.alpha ?? DYNSPLIT_DEFAULTS.alpha,
        boundaryWindow: options.boundaryWindow ?? DYNSPLIT_DEFAULTS.boundaryWindow,
        structureWeight: options.structureWeight ?? DYNSPLIT_DEFAULTS.structureWeight,
      };
      return {
        name,
        maxBlockTokens: o.blockSize + o.tolerance,
        options: o,
        segment: (texts, signal, forced) => dynsplitOffsets(texts, signal, forced, o),
      };
    }
    case "pages":
    case "chunkkv": {
      const size =
        name === "pages" ? positiveInteger("pageSize", options.pageSize, 16) : positiveInteger("chunkSize", options.chunkSize, 10);
      return {name, maxBlockTokens: size, options: {size}, segment: (texts, _signal, forced) => fixedChunks(texts.length, size, forced)};
    }
  }
}
