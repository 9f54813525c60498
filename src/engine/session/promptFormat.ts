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
  /** Generation stops at any of these (in the decoded answer). */
  stopStrings: string[];
  maxAnswerTokens: number;
}

export const PLAIN_FORMAT: PromptFormat = {
  name: "plain",
  preamble: "The following are files from a code repository.\n\n",
  fileHeader: (path) => `// File: ${path}\n`,
  question: (text) => `\n\nQuestion: ${text.trim()}\nAnswer:`,
  stopStrings: ["\nQuestion:", "\n\n\n"],
  maxAnswerTokens: 256,
};

/** The template card that ships next to the bundled model. */
export interface ModelCard {
  model: string;
  fact: string;
  question: string;
  key: string;
  value: string;
  contextTokens: number;
  [extra: string]: unknown;
}

/**
 * The bundled model's format: its trained question template. A free-form question ("what is RETRY_LIMIT_x7?")
 * is reduced to the first identifier that matches the card's key pattern, so chat works for its one skill.
 */
export function cardFormat(card: ModelCard): PromptFormat {
  const keyPattern = new RegExp(card.key.replace(/^\^/, "").replace(/\$$/, ""));
  const [before] = card.question.split("{key}");
  return {
    name: "card",
    preamble: "",
    fileHeader: (path) => `// ${path}\n`,
    question: (text) => {
      const trimmed = text.trim();
      if (before && trimmed.startsWith(before.trim())) return "\n" + trimmed;
      const key = trimmed.match(keyPattern)?.[0] ?? trimmed;
      return "\n" + card.question.replace("{key}", key);
    },
    stopStrings: ["\n", ";"],
    maxAnswerTokens: 8,
  };
}
