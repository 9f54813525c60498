/** The DynSplit-KV core library: pure TypeScript, no vscode, no node-llama-cpp. */
export * from "./types";
export * from "./errors";
export {delimiterStrengths, STRENGTH_NONE, STRENGTH_WEAK, STRENGTH_NORMAL, STRENGTH_STRONG} from "./delimiters";
export {boundaryScores, standardise} from "./boundaryScores";
export {ddSelect, fixedChunks} from "./ddSelect";
export {buildUniformLayout, scoreUniformLayout, scoreBlocks, type UniformLayout} from "./uniformLayout";
export {summariseBlockKeys, scoreSummaries, type BlockKeySummary} from "./blockKeySummary";
export {selectBlocks, selectTokens} from "./selection";
export {maskToRanges, mergeRanges, rangesLength} from "./ranges";
export {resolveBudget, DEFAULT_SINK_TOKENS, DEFAULT_RECENT_WINDOW} from "./validate";
export {createMethod, isMethodName, type MethodOptions} from "./methods/registry";
export {DynSplitMethod, DYNSPLIT_DEFAULTS, type DynSplitOptions} from "./methods/dynsplit";
export * from "./kvMemory";
