/**
 * How the workspace and a question are laid out as text for a model. The bundled model was trained on one
 * fact/question template (models/card.json); real models get a plain document-and-question layout.
 */
export interface PromptFormat {
  name: string;
  /** Pinned text after BOS, before the first file. */
  preamble: string;
  /** Pinned header before every file, so the model (and the user) knows where a block came from. */
  fileHeader(path: string): string;
  /** The question as evaluated after the context. */
  question(text: string): string;
  /** The observation window for query-aware compression: every question the text asks, as the model reads them. */
  observation(text: string): string;
  /** Generation stops at any of these (in the decoded answer). */
  stopStrings: string[];
  maxAnswerTokens: number;
  /** Start the sequence with BOS (also the attention sink that is never evicted). */
  bos: boolean;
}

export const PLAIN_FORMAT: PromptFormat = {
  name: "plain",
  preamble: "The following are files from a code repository.\n\n",
  fileHeader: (path) => `// File: ${path}\n`,
  question: (text) => `\n\nQuestion: ${text.trim()}\nAnswer:`,
  observation: (text) => `\n\nQuestion: ${text.trim()}\nAnswer:`,
  stopStrings: ["\nQuestion:", "\n\n\n"],
  maxAnswerTokens: 256,
  bos: true,
};

/** The template card that ships next to the bundled model. */
export interface ModelCard {
  model: string;
  fact: string;
  question: string;
  key: string;
  value: string;
  contextTokens: number;
  /** Header line before each file, with {path}; the trained one by default. */
  fileHeader?: string;
  /** Whether the model was trained with a BOS token first. */
  bos?: boolean;
  /** How many tokens an answer has. */
  answerTokens?: number;
  [extra: string]: unknown;
}

/**
 * The bundled model's format: its question template. Any question ("what is retry_limit?", "Q: retry_limit = ")
 * is reduced to the first identifier that matches the card's key pattern, so chat works for its one skill.
 */
export function cardFormat(card: ModelCard): PromptFormat {
  const keyPattern = new RegExp(card.key.replace(/^\^/, "").replace(/\$$/, ""));
  return {
    name: "card",
    preamble: "",
    fileHeader: (path) => (card.fileHeader ?? "// file: {path}\n").replace("{path}", path),
    // The context ends with a newline; the question follows directly, exactly as in training.
    question: (text) => card.question.replace("{key}", text.match(keyPattern)?.[0] ?? text.trim()),
    // Several facts asked at once (one per line) all steer compression, each in the trained template.
    observation: (text) => {
      const keys = [...new Set(text.match(new RegExp(keyPattern.source, "g")) ?? [])];
      return keys.length > 0 ? keys.map((k) => card.question.replace("{key}", k)).join("\n") : card.question.replace("{key}", text.trim());
    },
    stopStrings: ["\n", ";"],
    maxAnswerTokens: card.answerTokens ?? 4,
    bos: card.bos !== false,
  };
}
