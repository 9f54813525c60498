import assert from "node:assert/strict";
import {test} from "node:test";
import {delimiterStrengths, STRENGTH_NONE, STRENGTH_NORMAL, STRENGTH_STRONG, STRENGTH_WEAK} from "../../src/core/delimiters";

test("candidate delimiters and their strengths", () => {
  const texts = ["const", " a", " =", " 1", ";", "\n", "f", "(", "x", ",", " y", ")", ":", "?", "!", "."];
  const s = delimiterStrengths(texts);
  assert.equal(s[0], STRENGTH_NONE); // const
  assert.equal(s[1], STRENGTH_NONE);
  assert.equal(s[4], STRENGTH_NORMAL); // ;
  assert.equal(s[5], STRENGTH_NORMAL); // newline after content
  assert.equal(s[7], STRENGTH_NONE); // ( is not a candidate
  assert.equal(s[9], STRENGTH_WEAK); // ,
  assert.equal(s[11], STRENGTH_WEAK); // )
  assert.equal(s[12], STRENGTH_WEAK); // :
  assert.equal(s[13], STRENGTH_NORMAL); // ?
  assert.equal(s[14], STRENGTH_NORMAL); // !
  assert.equal(s[15], STRENGTH_NORMAL); // .
});

test("a blank line is a strong candidate, in one token or two", () => {
  assert.equal(delimiterStrengths(["x", "\n\n"])[1], STRENGTH_STRONG);
  const s = delimiterStrengths(["x", "\n", "  ", "\n", "y"]);
  assert.equal(s[1], STRENGTH_NORMAL);
  assert.equal(s[3], STRENGTH_STRONG);
});

test("a closing brace at column 0 ends a top-level body (strong); an indented one is normal", () => {
  const s = delimiterStrengths(["function", " f", "()", " {", "\n", "  ", "if", " {", "\n", "  ", "}", "\n", "}", "\n"]);
  assert.equal(s[10], STRENGTH_NORMAL);
  assert.equal(s[12], STRENGTH_STRONG);
});

test("the newline before a dedent to column 0 is strong (end of a Python body)", () => {
  const s = delimiterStrengths(["def", " f", "():", "\n", "    ", "return", " 1", "\n", "x", " =", " 2", "\n"]);
  assert.equal(s[3], STRENGTH_NORMAL); // the body is indented: not a dedent
  assert.equal(s[7], STRENGTH_STRONG); // next line starts at column 0 after an indented line
  assert.equal(s[11], STRENGTH_NORMAL);
});

test("the newline that ends a line comment is a candidate", () => {
  const s = delimiterStrengths(["x", " //", " note", "\n", "y"]);
  assert.equal(s[3], STRENGTH_NORMAL);
});
