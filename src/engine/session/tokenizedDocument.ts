import type {LlamaModel, Token} from "node-llama-cpp";
import type {PromptFormat} from "./promptFormat";
import type {TokenTexts} from "./tokenTexts";

export interface IngestDocument {
  path: string;
  content: string;
  /** Line number of the content's first line (a selection); default 1. */
  firstLine?: number;
}

/** A document tokenised once, with its pinned header first and the source line of every token. */
export interface TokenizedDocument {
  path: string;
  ids: Token[];
  lines: number[];
  headerTokens: number;
}

/** Tokenises a document once: the plan counts these tokens and the session streams the same ones. */
export function tokenizeDocument(model: LlamaModel, format: PromptFormat, texts: TokenTexts, doc: IngestDocument): TokenizedDocument {
  const header = model.tokenize(format.fileHeader(doc.path));
  const body = model.tokenize(doc.content.endsWith("\n") ? doc.content : doc.content + "\n");
  const lines: number[] = new Array(header.length).fill(0);
  let line = doc.firstLine ?? 1;
  for (const t of body) {
    lines.push(line);
    const text = texts.of(t);
    for (let c = 0; c < text.length; c++) if (text.charCodeAt(c) === 10) line++;
  }
  return {path: doc.path, ids: [...header, ...body], lines, headerTokens: header.length};
}
