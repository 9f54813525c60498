import {performance} from "node:perf_hooks";
import type {LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import type {PromptFormat, Turn} from "./promptFormat";

export interface GeneratedAnswer {
  answer: string;
  answerTokens: number;
  stoppedBy: "stop" | "eos" | "maxTokens" | "cancelled";
  /** performance.now() when the first answer token came out (undefined when none did). */
  firstTokenAt?: number;
}

export interface GenerateOptions {
  onText?: (text: string) => void;
  signal?: AbortSignal;
  maxTokens?: number;
  /** Do not stop at EOS or the format's stop strings (tests that need a fixed number of tokens). */
  ignoreStops?: boolean;
  /** Return the rendered context of the turn, special tokens visible (for debugging templates). */
  showPrompt?: boolean;
}

/** A question within a conversation: the earlier turns it sees, and the text that selects its blocks. */
export interface TurnOptions extends GenerateOptions {
  history?: readonly Turn[];
  /** What scores the blocks (memory): the question, with the previous one for a follow-up. Defaults to the question. */
  query?: string;
}

/**
 * Evaluates the question's tokens after what the sequence holds and generates greedily, streaming text as it becomes
 * valid UTF-8, until EOS/end-of-generation, a stop string of the format, the token limit or cancellation. The
 * question and answer stay in the sequence; the caller decides what to erase.
 */
export async function generateAnswer(
  sequence: LlamaContextSequence,
  model: LlamaModel,
  questionTokens: Token[],
  format: Pick<PromptFormat, "stopStrings" | "stopTokens" | "maxAnswerTokens">,
  options: GenerateOptions = {}
): Promise<GeneratedAnswer> {
  const maxTokens = options.maxTokens ?? format.maxAnswerTokens;
  let answer = "";
  let answerTokens = 0;
  let stoppedBy: GeneratedAnswer["stoppedBy"] = "maxTokens";
  let firstTokenAt: number | undefined;
  const eos = model.tokens.eos;
  const pending: Token[] = [];
  for await (const token of sequence.evaluate(questionTokens, {temperature: 0, yieldEogToken: true})) {
    firstTokenAt ??= performance.now();
    if (options.signal?.aborted) {
      stoppedBy = "cancelled";
      break;
    }
    if (!options.ignoreStops && (token === eos || model.isEogToken(token) || format.stopTokens?.includes(token))) {
      stoppedBy = "eos";
      break;
    }
    pending.push(token);
    answerTokens++;
    const text = model.detokenize(pending);
    const stopAt = options.ignoreStops ? -1 : firstStop(text, format.stopStrings);
    if (stopAt >= 0) {
      const piece = text.slice(0, stopAt);
      if (piece.length > answer.length) options.onText?.(piece.slice(answer.length));
      answer = piece;
      stoppedBy = "stop";
      break;
    }
    if (text.length > answer.length && !text.endsWith("\uFFFD")) {
      options.onText?.(text.slice(answer.length));
      answer = text;
    }
    if (answerTokens >= maxTokens) break;
  }
  return {answer: answer.trim(), answerTokens, stoppedBy, firstTokenAt};
}

function firstStop(text: string, stops: readonly string[]): number {
  let best = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best;
}

/**
 * The full next-token distribution after `tokens` evaluated at the end of the sequence (which is left as it was):
 * what tests compare to see that two ways of building a context give the same model state.
 */
export async function nextTokenDistribution(sequence: LlamaContextSequence, tokens: Token[]): Promise<Map<number, number>> {
  const base = sequence.contextTokens.length;
  try {
    const res = await sequence.controlledEvaluate(
      tokens.map((t, i) => (i === tokens.length - 1 ? [t, {generateNext: {probabilities: true}}] : t))
    );
    return new Map(res[res.length - 1]?.next?.probabilities ?? []);
  } finally {
    if (sequence.contextTokens.length > base) await sequence.eraseContextTokenRanges([{start: base, end: sequence.contextTokens.length}]);
  }
}

/** L1 distance between two distributions over token ids. */
export function l1Distance(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): number {
  let d = 0;
  for (const [t, p] of a) d += Math.abs(p - (b.get(t) ?? 0));
  for (const [t, p] of b) if (!a.has(t)) d += p;
  return d;
}
