/** Importance signals measured inside (attention probe) or next to (key norms, surprisal) the model. */
export type {SignalKind, TokenSignal} from "./types";
export {parseSeqState, GgmlType, type ParsedSeqState, type KvLayerRows, type KvStateParseOptions} from "./kvStateParser";
export {readSequenceKvState} from "./sequenceState";
export {modelKvShape, type ModelKvShape} from "./modelKvShape";
export {computeKeyNormSignal, keyNormScores, defaultKeyNormLayers} from "./keyNormSignal";
export {prefillWithSurprisal, type SurprisalMeasurement} from "./surprisalSignal";
export {
  evaluateObservationWindow,
  prefillWithAttentionProbe,
  contextHasAttentionProbe,
  type AttentionProbeOptions,
  type AttentionMeasurement,
} from "./attentionSignal";
export {loadLlama, llamaHasAttentionProbe, ProbeBinaryMissingError, hookCmakeOptions, type LoadedLlama, type HookGpu} from "./loadLlama";
