/** Synthetic corpus: code repositories with planted facts, retrieval cases and training documents. */
export {Rng, hashString} from "./rng";
export * from "./facts";
export {generateRepository, renderRepository, fileHeader} from "./repository";
export type {Repository, RepositoryOptions} from "./repository";
export {DEFAULT_CHARS_PER_TOKEN, generateCase} from "./cases";
export type {CaseOptions, NeedleCase} from "./cases";
export {KEY_PREFIXES, KEY_SUFFIXES, IDENT_WORDS, CODE_KEYWORDS} from "./words";
