/**
 * The bundled model's vocabulary: the 32,064 SentencePiece pieces of Phi-3 (MIT licence; LLaMA's 32,000 sub-word
 * pieces with byte fallback, plus Phi-3's special tokens), read from llama.cpp's `models/ggml-vocab-phi-3.gguf` that
 * node-llama-cpp ships. Our GGUF sets `add_space_prefix` false so that pieces tokenized apart (a file header, a
 * question) tokenize as they do inside the whole text.
 */
import {readGgufHeader} from "../engine/gguf";
import type {LlamaTokenType} from "../engine/gguf/ggufTypes";
import type {Vocabulary} from "./codeVocab";
import {realVocabFile} from "./realVocab";

export const TRAINED_VOCAB = "phi-3";

export async function trainedVocabulary(): Promise<Vocabulary> {
  const header = await readGgufHeader(realVocabFile(TRAINED_VOCAB));
  const tokens = header.metadata.get("tokenizer.ggml.tokens") as string[];
  const scores = header.metadata.get("tokenizer.ggml.scores") as number[];
  const types = header.metadata.get("tokenizer.ggml.token_type") as LlamaTokenType[];
  if (!tokens || !scores || !types) throw new Error(`${TRAINED_VOCAB}: the vocabulary file lacks tokens, scores or types`);
  // Our BOS/EOS are <s>/</s> (Phi-3 ends with <|endoftext|> and types </s> as user-defined): type them as llama.cpp's
  // control tokens, or it warns at every load. No text of the corpus contains them, so tokenization is unchanged.
  const fixed = [...types];
  fixed[0] = 2 as LlamaTokenType; // UNKNOWN
  fixed[1] = 3 as LlamaTokenType; // CONTROL
  fixed[2] = 3 as LlamaTokenType;
  return {tokens, scores, types: fixed};
}
