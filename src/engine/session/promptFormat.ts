/**
 * How the workspace and a question are laid out for a model. The bundled model was trained on one fact/question
 * template (models/card.json); instruct models get their own chat template (chatFormat.ts); models without one a
 * plain document-and-question layout. Prompt and question are produced as tokens, so that a template's special
 * tokens are real special tokens while file text never is.
 */
import type {LlamaModel, Token} from "node-llama-cpp";

/** An earlier question and its answer, kept in the context for a follow-up. */
export interface Turn {
  question: string;
  answer: string;
}

export interface PromptFormat {
  name: string;
  /** The pinned tokens every context starts with: BOS where the model wants it, then the preamble. */
  promptTokens(model: LlamaModel): Token[];
  /** The tokens evaluated after the context for a question: earlier turns of the conversation (oldest first), the
   *  question, the end of the user turn and the assistant's opening. */
  questionTokens(model: LlamaModel, text: string, history?: readonly Turn[]): Token[];
  /** Whether the model is meant to see earlier turns (not the bundled model: one question, one fact). */
  conversational: boolean;
  /** Tokens that end an answer besides the model's end-of-generation tokens (a template's end-of-turn). */
  stopTokens?: readonly Token[];
  /** Pinned text after BOS, before the first file (for chat templates: the rendered opening, for display and identity). */
  preamble: string;
  /** Pinned header before every file, so the model (and the user) knows where a block came from. */
  fileHeader(path: string): string;
  /** The question as text (for chat templates: as rendered, for display). */
  question(text: string): string;
  /** The observation window for query-aware compression: every question the text asks, as the model reads them. */
  observation(text: string): string;
  /** Generation stops at any of these (in the decoded answer). */
  stopStrings: string[];
  maxAnswerTokens: number;
  /** Start the sequence with BOS (also the attention sink that is never evicted). */
  bos: boolean;
}

/** BOS (when the format and the model both want one), then the preamble as plain text. */
function textPromptTokens(this: PromptFormat, model: LlamaModel): Token[] {
  const bos = model.tokens.bos;
  return [...(bos != null && this.bos ? [bos] : []), ...(this.preamble ? model.tokenize(this.preamble) : [])];
}

function textQuestionTokens(this: PromptFormat, model: LlamaModel, text: string, history: readonly Turn[] = []): Token[] {
  const earlier = this.conversational ? history.map((t) => `${this.question(t.question)} ${t.answer.trim()}`).join("") : "";
  return model.tokenize(earlier + this.question(text));
}

export const DEFAULT_ANSWER_TOKENS = 1024;

/** For models without a chat template: BOS only where the model's `add_bos` asks for it. */
export function plainFormat(model: LlamaModel, maxAnswerTokens = DEFAULT_ANSWER_TOKENS): PromptFormat {
  return {
    name: "plain",
    promptTokens: textPromptTokens,
    questionTokens: textQuestionTokens,
    preamble: "The following are files from a code repository.\n\n",
    fileHeader: (path) => `// File: ${path}\n`,
    question: (text) => `\n\nQuestion: ${text.trim()}\nAnswer:`,
    observation: (text) => `\n\nQuestion: ${text.trim()}\nAnswer:`,
    stopStrings: ["\nQuestion:", "\n\n\n"],
    maxAnswerTokens,
    conversational: true,
    bos: model.tokens.shouldPrependBosToken,
  };
}

/** The template card that ships next to the bundled model. */
export interface ModelCard {
  model: string;
  fact: string;
  question: string;
  key: string;
  value: string;
  contextTokens: number;
  /** The question whose answer is the path of the file a fact is in, with {key}. */
  fileQuestion?: string;
  /** Header line before each file, with {path}; the trained one by default. */
  fileHeader?: string;
  /** Whether the model was trained with a BOS token first. */
  bos?: boolean;
  /** The most tokens an answer takes. */
  answerTokens?: number;
  [extra: string]: unknown;
}

/** A question about where something is ("which file defines retry_limit?", "file of retry_limit") asks for a path. */
const ASKS_FOR_FILE = /\b(?:file|where|path|defined|located)\b/i;

/**
 * The bundled model's format: its question templates. Any question ("what is retry_limit?", "Q: retry_limit =") is
 * reduced to the first identifier that matches the card's key pattern and asked in the trained template: the value
 * question, or the file question when the text asks where the key is. Chat works for the model's two skills.
 */
/** Where an answer of the bundled model's templates ends: a value at its fact's `;`, a path at the end of its line. */
export const CARD_ANSWER_ENDS: readonly string[] = ["\n", ";"];

export function cardFormat(card: ModelCard): PromptFormat {
  // A whole identifier only: a longer one of another shape must not yield a piece of itself.
  const keyPattern = new RegExp(`(?<![A-Za-z0-9_])(?:${card.key.replace(/^\^/, "").replace(/\$$/, "")})(?![A-Za-z0-9_])`);
  const template = (text: string) => {
    const withoutPrefix = text.replace(/^\s*Q:\s*/, "");
    return card.fileQuestion && ASKS_FOR_FILE.test(withoutPrefix.replace(keyPattern, "")) ? card.fileQuestion : card.question;
  };
  const keyOf = (text: string) => text.match(keyPattern)?.[0] ?? text.trim();
  return {
    name: "card",
    promptTokens: textPromptTokens,
    questionTokens: textQuestionTokens,
    preamble: "",
    fileHeader: (path) => (card.fileHeader ?? "// file: {path}\n").replace("{path}", path),
    // The context ends with a newline; the question follows directly, exactly as in training.
    question: (text) => template(text).replace("{key}", keyOf(text)),
    // Several facts asked at once (one per line) all steer compression, each in the trained template.
    observation: (text) => {
      const keys = [...new Set(text.match(new RegExp(keyPattern.source, "g")) ?? [])];
      return keys.length > 0
        ? keys.map((k) => template(text).replace("{key}", k)).join("\n")
        : template(text).replace("{key}", text.trim());
    },
    stopStrings: [...CARD_ANSWER_ENDS],
    conversational: false,
    maxAnswerTokens: card.answerTokens ?? 4,
    bos: card.bos !== false,
  };
}
