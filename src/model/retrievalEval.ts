/**
 * Needle-retrieval evaluation through node-llama-cpp, at the sequence level:
 * prefill [BOS, ...context], optionally erase the needle's tokens from the KV cache, then
 * evaluate the question and greedily decode the answer.
 */
import type {LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import type {NeedleCase} from "../corpus/cases";

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
export function tokenizeCase(model: LlamaModel, c: NeedleCase): TokenizedCase {
  const bos = model.tokens.bos;
  if (bos === null) throw new Error("model has no BOS token");
  const before = model.tokenize(c.context.slice(0, c.needle.start), true);
  const needle = model.tokenize(c.context.slice(c.needle.start, c.needle.end), true);
  const after = model.tokenize(c.context.slice(c.needle.end), true);
  const start = 1 + before.length;
  return {
    contextTokens: [bos, ...before, ...needle, ...after],
    questionTokens: model.tokenize(c.question, true),
    needle: {start, end: start + needle.length},
  };
}

export interface CaseOutcome {
  id: string;
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

/**
 * The card's answer is exactly one token (every value 0..999 is one token), so the first greedy token is the
 * answer; what the model writes after it does not count (the engine stops after the card's `answerTokens`).
 */
async function decodeAnswer(model: LlamaModel, sequence: LlamaContextSequence, questionTokens: Token[]): Promise<string> {
  for await (const token of sequence.evaluate(questionTokens, {temperature: 0})) return model.detokenize([token]);
  return "";
}

/**
 * Full-cache and needle-erased outcomes from ONE prefill: answer with the full cache, then erase
 * the needle and everything after the context (question + answer) and ask again.
 */
export async function runCasePair(
  model: LlamaModel,
  sequence: LlamaContextSequence,
  c: NeedleCase
): Promise<{full: CaseOutcome; erased: CaseOutcome}> {
  const t = tokenizeCase(model, c);
  await sequence.clearHistory();
  await sequence.evaluateWithoutGeneratingNewTokens(t.contextTokens);
  const outcome = (got: string): CaseOutcome => ({
    id: c.id,
    expected: c.answer,
    got,
    correct: got === c.answer,
    contextTokens: t.contextTokens.length,
  });
  const full = outcome(await decodeAnswer(model, sequence, t.questionTokens));
  await sequence.eraseContextTokenRanges([t.needle, {start: t.contextTokens.length, end: sequence.nextTokenIndex}]);
  const erased = outcome(await decodeAnswer(model, sequence, t.questionTokens));
  return {full, erased};
}
