import type {LlamaModel, Token} from "node-llama-cpp";

/** Decoded text of single tokens, cached per id (delimiter detection and line numbers need every token's text). */
export class TokenTexts {
  private readonly cache = new Map<number, string>();
  constructor(private readonly model: LlamaModel) {}

  of(token: Token): string {
    let text = this.cache.get(token);
    if (text === undefined) {
      text = this.model.detokenize([token], true);
      this.cache.set(token, text);
    }
    return text;
  }
}
