/**
 * The bundled model's SentencePiece ("llama" tokenizer) vocabulary, designed for code:
 * - ids 0..2: <unk>, <s> (BOS), </s> (EOS); ids 3..258: byte fallback <0x00>..<0xFF>
 * - every printable ASCII character, "\n", "\t", and runs of 1..16 spaces ("▁")
 * - every number 0..999 and every two-digit string, so values are one token
 * - code words (src/corpus/words.ts) and their capitalized forms, each with ALL its substrings:
 *   llama.cpp's SPM tokenizer merges adjacent pieces pairwise by score, so a word only becomes
 *   one token when every intermediate piece exists. Longer pieces score higher.
 * - punctuation runs common in code ("===", "=>", "();" ...), also substring-closed.
 * - every fact key `{prefix}_{suffix}` (src/corpus/words.ts) as ONE token, plus `_{suffix}`; " = " as one token;
 *   and every `{key} = ` as one token too (appended last, so earlier ids are unchanged).
 * Apart from those identifier pieces, pieces never mix classes (letters / digits / punctuation /
 * spaces / newline), so tokens never cross a line or number boundary: tokenizing line by line
 * equals tokenizing the whole text.
 */
import {CODE_KEYWORDS, IDENT_WORDS, KEY_PREFIXES, KEY_SUFFIXES, capitalize} from "../corpus/words";
import {LlamaTokenType} from "../engine/gguf/ggufTypes";

export interface Vocabulary {
  tokens: string[];
  scores: number[];
  types: LlamaTokenType[];
}

export const SPACE_PIECE = "\u2581";
export const BOS_ID = 1;
export const EOS_ID = 2;

const PUNCTUATION_PIECES = [
  "===",
  "!==",
  "=>",
  "->",
  "::",
  "//",
  "/*",
  "*/",
  "();",
  "()",
  "{}",
  "[]",
  "});",
  "})",
  "...",
  "&&",
  "||",
  "+=",
  "-=",
  "<=",
  ">=",
  "**",
  "__",
  "++",
  "--",
  "?.",
  "??",
  ");",
  "],",
  "},",
  '"""',
  '",',
  '":',
  "'",
  "''",
  "#!",
  "</",
  "/>",
  "${",
  "`",
];

function substrings(word: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i++) for (let j = i + 1; j <= word.length; j++) out.push(word.slice(i, j));
  return out;
}

export function buildCodeVocabulary(): Vocabulary {
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: LlamaTokenType[] = [];
  const seen = new Set<string>();
  const add = (piece: string, type: LlamaTokenType, score: number) => {
    if (seen.has(piece)) return;
    seen.add(piece);
    tokens.push(piece);
    scores.push(score);
    types.push(type);
  };
  add("<unk>", LlamaTokenType.UNKNOWN, 0);
  add("<s>", LlamaTokenType.CONTROL, 0);
  add("</s>", LlamaTokenType.CONTROL, 0);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, LlamaTokenType.BYTE, 0);
  const normal = (piece: string) => add(piece, LlamaTokenType.NORMAL, piece.length);
  normal("\n");
  normal("\t");
  for (let n = 1; n <= 16; n++) normal(SPACE_PIECE.repeat(n));
  for (let c = 0x21; c < 0x7f; c++) normal(String.fromCharCode(c));
  for (let n = 0; n < 100; n++) normal(String(n).padStart(2, "0"));
  for (let n = 0; n < 1000; n++) normal(String(n));
  for (const p of PUNCTUATION_PIECES) for (const s of substrings(p)) normal(s);
  const words = new Set<string>([...KEY_PREFIXES, ...KEY_SUFFIXES, ...IDENT_WORDS, ...CODE_KEYWORDS]);
  for (const w of [...words].sort()) {
    for (const s of substrings(w)) normal(s);
    for (const s of substrings(capitalize(w))) normal(s);
  }
  // Fact keys `{prefix}_{suffix}` are single tokens (merge path: "_{suffix}", then the key):
  // a one-token key makes retrieval a plain induction lookup a 2-layer model learns quickly.
  for (const suffix of KEY_SUFFIXES) normal(`_${suffix}`);
  // " = " is one token, so the value sits 2 tokens after the key in a fact and 1 after it in a
  // question: short fixed offsets are the easiest attention patterns to learn.
  for (const piece of [`${SPACE_PIECE}=`, `=${SPACE_PIECE}`, `${SPACE_PIECE}=${SPACE_PIECE}`]) normal(piece);
  for (const prefix of KEY_PREFIXES) for (const suffix of KEY_SUFFIXES) normal(`${prefix}_${suffix}`);
  // `{key} = ` as one token (merge path: the key, then " = "). In a fact the value then directly
  // follows the token that the question ends with, so retrieval is a plain one-token induction
  // lookup. With the key and " = " apart (a two-token match) a 2-layer model trained on the CPU did
  // not leave the "copy any stated value" plateau (models/README.md).
  for (const prefix of KEY_PREFIXES) for (const suffix of KEY_SUFFIXES) normal(`${prefix}_${suffix}${SPACE_PIECE}=${SPACE_PIECE}`);
  return {tokens, scores, types};
}
