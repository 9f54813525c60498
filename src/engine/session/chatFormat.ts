/**
 * A model's own chat template as a PromptFormat, rendered by node-llama-cpp's chat wrappers (`resolveChatWrapper`:
 * the GGUF's `tokenizer.chat_template` through Jinja, or the wrapper of its known family) at the token level, without
 * `LlamaChatSession` (it would re-render and re-prefill what compression evicted).
 *
 * One turn is rendered with markers where the workspace and the question go, and cut there: everything before the
 * workspace (BOS, system text, the opening of the user turn) is the pinned prompt; the files follow; the question, the
 * end of the user turn and the assistant's opening are evaluated per question. Template text stays special tokens,
 * user text never becomes one (LlamaText tokenizes its plain strings without special-token parsing).
 */
import {LlamaText, resolveChatWrapper, SpecialToken, type ChatHistoryItem, type LlamaModel} from "node-llama-cpp";
import {DEFAULT_ANSWER_TOKENS, type PromptFormat, type Turn} from "./promptFormat";

const WORKSPACE = "@@dynsplit-workspace@@";
const QUESTION = "@@dynsplit-question@@";
const SYSTEM =
  "You answer questions about a code repository. Its relevant files follow, each after a line with its path. Answer from them, briefly.";

type Value = LlamaText["values"][number];

/** The template's format, or undefined when the model has none (node-llama-cpp's generic fallback). */
export function chatFormat(model: LlamaModel, maxAnswerTokens = DEFAULT_ANSWER_TOKENS): PromptFormat | undefined {
  const wrapper = resolveChatWrapper(model, {fallbackToOtherWrappersOnJinjaError: true});
  if (wrapper.wrapperName === "General" && !model.fileInfo.metadata.tokenizer?.chat_template) return undefined;
  // The workspace opens the first user turn; earlier turns follow it, then the question in a user turn of its own.
  // Templates that reject a system role (some Jinja ones raise) get the system text at the top of the first user turn.
  let systemRole = true;
  const render = (history: readonly Turn[]) => {
    const first = history.length > 0 ? history[0].question : QUESTION;
    const opening = `${systemRole ? "" : `${SYSTEM}\n\n`}${WORKSPACE}\n\n${first.trim()}`;
    const items: ChatHistoryItem[] = [...(systemRole ? [{type: "system" as const, text: SYSTEM}] : []), {type: "user", text: opening}];
    history.forEach((t, i) =>
      items.push(
        {type: "model", response: [t.answer.trim()]},
        {type: "user", text: i + 1 < history.length ? history[i + 1].question.trim() : QUESTION}
      )
    );
    items.push({type: "model", response: []});
    return wrapper.generateContextState({chatHistory: items});
  };
  let state: ReturnType<typeof render>;
  try {
    state = render([]);
  } catch {
    systemRole = false;
    try {
      state = render([]);
    } catch {
      return undefined; // a template we cannot render: the plain layout
    }
  }
  const [before, after] = splitAt(state.contextText.values, WORKSPACE);
  if (!after) return undefined; // a template that drops or rewrites the user text: not usable this way
  const [beforeQuestion, afterQuestion] = splitAt(after, QUESTION);
  if (!afterQuestion) return undefined;
  const turnText = (text: string, history: readonly Turn[]) => {
    if (history.length === 0) return questionText(text);
    const [, rest] = splitAt(render(history).contextText.values, WORKSPACE);
    const [head, tail] = splitAt(rest ?? [], QUESTION);
    if (!tail) throw new Error(`the ${wrapper.wrapperName} template dropped a turn of the conversation`);
    return LlamaText([...head, text.trim(), ...tail]);
  };
  // BOS exactly where the model wants it: wrappers always write one, add_bos decides.
  const prompt = before.filter((v, i) => !(i === 0 && v instanceof SpecialToken && v.value === "BOS"));
  const bos = model.tokens.shouldPrependBosToken && model.tokens.bos != null;
  const promptText = LlamaText(prompt);
  const stopTokens = state.stopGenerationTriggers.flatMap((t) => {
    const ids = t.tokenize(model.tokenizer);
    return ids.length === 1 ? ids : [];
  });
  const stopStrings = state.stopGenerationTriggers.filter((t) => t.values.every((v) => typeof v === "string")).map((t) => t.toString());
  const questionText = (text: string) => LlamaText([...beforeQuestion, text.trim(), ...afterQuestion]);
  return {
    name: `chat:${wrapper.wrapperName}`,
    promptTokens: (m) => [...(bos ? [m.tokens.bos!] : []), ...promptText.tokenize(m.tokenizer)],
    questionTokens: (m, text, history = []) => turnText(text, history).tokenize(m.tokenizer),
    conversational: true,
    stopTokens,
    preamble: promptText.toString(),
    fileHeader: (path) => `// File: ${path}\n`,
    question: (text) => questionText(text).toString(),
    observation: (text) => `\n\nQuestion: ${text.trim()}`, // steering text for query-aware compression
    stopStrings,
    maxAnswerTokens,
    bos,
  };
}

/** The values before and after the first string that contains `marker` (cut inside that string). */
function splitAt(values: readonly Value[], marker: string): [Value[], Value[] | undefined] {
  const i = values.findIndex((v) => typeof v === "string" && v.includes(marker));
  if (i < 0) return [[...values], undefined];
  const s = values[i] as string;
  const at = s.indexOf(marker);
  const head = s.slice(0, at);
  const tail = s.slice(at + marker.length);
  return [
    [...values.slice(0, i), ...(head ? [head] : [])],
    [...(tail ? [tail] : []), ...values.slice(i + 1)],
  ];
}
