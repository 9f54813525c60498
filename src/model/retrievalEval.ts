/**
 * Needle-retrieval evaluation through node-llama-cpp, at the sequence level:
 * prefill [BOS, ...context], optionally erase the needle's tokens from the KV cache, then
 * evaluate the question and greedily decode the answer.
 */
import type {LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import type {NeedleCase} from "../corpus/cases";
import {generateAnswer} from "../engine/session/generateAnswer";
import {CARD_ANSWER_ENDS} from "../engine/session/promptFormat";

/** Which question of a case is asked: its value (`Q: {key} =`) or the file that holds it (`Q: file of {key} is`). */
export type QuestionForm = "value" | "file";

export interface TokenizedCase {
  /** [BOS, ...context tokens]; the question follows. */
  contextTokens: Token[];
  questionTokens: Token[];
  /** Token index range of the needle line inside contextTokens (never starts at 0). */
  needle: {start: number; end: number};
}

/**
 * Tokenize the context in three pieces around the needle line. The vocabulary never merges
 * across a newline, so this equals tokenizing the whole text and gives exact needle indices.
 */
export function tokenizeCase(model: LlamaModel, c: NeedleCase, form: QuestionForm = "value"): TokenizedCase {
  const bos = model.tokens.bos;
  if (bos === null) throw new Error("model has no BOS token");
  const before = model.tokenize(c.context.slice(0, c.needle.start), true);
  const needle = model.tokenize(c.context.slice(c.needle.start, c.needle.end), true);
  const after = model.tokenize(c.context.slice(c.needle.end), true);
  const start = 1 + before.length;
  return {
    contextTokens: [bos, ...before, ...needle, ...after],
    questionTokens: model.tokenize(form === "file" ? c.fileQuestion : c.question, true),
    needle: {start, end: start + needle.length},
  };
}

export interface CaseOutcome {
  id: string;
  form: QuestionForm;
  expected: string;
  got: string;
  correct: boolean;
  /** Number of context tokens (incl. BOS) before the question. */
  contextTokens: number;
}

export interface RetrievalScore {
  n: number;
  correct: number;
  accuracy: number;
  meanContextTokens: number;
}

export function score(outcomes: readonly CaseOutcome[]): RetrievalScore {
  const correct = outcomes.filter((o) => o.correct).length;
  return {
    n: outcomes.length,
    correct,
    accuracy: outcomes.length ? correct / outcomes.length : 0,
    meanContextTokens: outcomes.reduce((s, o) => s + o.contextTokens, 0) / Math.max(1, outcomes.length),
  };
}

/** The longest answer the card's value and path patterns allow, in tokens of the bundled vocabulary, with room. */
export const MAX_ANSWER_TOKENS = 48;

/**
 * How an answer ends, as the card states it: at `;` for a value (the fact's own `;`), at the end of the line for a
 * path; the engine's own decoder (generateAnswer) applies it. Exact comparison after trimming: every token of a
 * multi-token answer must be right.
 */
const ANSWER_END = {stopStrings: [...CARD_ANSWER_ENDS], maxAnswerTokens: MAX_ANSWER_TOKENS};

async function decodeAnswer(model: LlamaModel, sequence: LlamaContextSequence, questionTokens: Token[]): Promise<string> {
  return (await generateAnswer(sequence, model, questionTokens, ANSWER_END)).answer;
}

/**
 * Full-cache and needle-erased outcomes from ONE prefill: answer with the full cache, then erase
 * the needle and everything after the context (question + answer) and ask again.
 */
export async function runCasePair(
  model: LlamaModel,
  sequence: LlamaContextSequence,
  c: NeedleCase,
  form: QuestionForm = "value"
): Promise<{full: CaseOutcome; erased: CaseOutcome}> {
  const t = tokenizeCase(model, c, form);
  const expected = form === "file" ? c.needle.path : c.answer;
  await sequence.clearHistory();
  await sequence.evaluateWithoutGeneratingNewTokens(t.contextTokens);
  const outcome = (got: string): CaseOutcome => ({
    id: c.id,
    form,
    expected,
    got,
    correct: got === expected,
    contextTokens: t.contextTokens.length,
  });
  const full = outcome(await decodeAnswer(model, sequence, t.questionTokens));
  await sequence.eraseContextTokenRanges([{start: t.contextTokens.length, end: sequence.nextTokenIndex}]);
  await sequence.eraseContextTokenRanges([t.needle]);
  const erased = outcome(await decodeAnswer(model, sequence, t.questionTokens));
  return {full, erased};
}
