import assert from "node:assert/strict";
import {test} from "node:test";
import {
  KEY_PATTERN,
  VALUE_PATTERN,
  KEY_SHAPES,
  VALUE_KINDS,
  formatFact,
  generateCase,
  keyShapeOf,
  distractorKeys,
  randomKey,
  randomValue,
  splitKey,
  valueKindOf,
  Rng,
  generateRepository,
  renderRepository,
} from "../../src/corpus";

const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

test("repositories and cases are deterministic per seed", () => {
  assert.deepEqual(generateRepository(5, {totalChars: 4000}), generateRepository(5, {totalChars: 4000}));
  assert.notDeepEqual(generateRepository(5), generateRepository(6));
  assert.deepEqual(generateCase("a", {contextChars: 3000}), generateCase("a", {contextChars: 3000}));
  assert.notEqual(generateCase("a").context, generateCase("b").context);
});

test("repository options: file count and size", () => {
  const repo = generateRepository(1, {totalChars: 6000, fileCount: 4});
  assert.equal(Object.keys(repo.files).length, 4);
  const size = renderRepository(repo.files).length;
  assert.ok(size > 3000 && size < 7000, `size ${size}`);
});

test("a case plants the needle exactly once, with distractors of its shape sharing all its parts but one", () => {
  const keyRe = new RegExp(`^${KEY_PATTERN}$`);
  const valueRe = new RegExp(`^${VALUE_PATTERN}$`);
  for (let seed = 0; seed < 200; seed++) {
    const c = generateCase(seed, {contextChars: 2500 + (seed % 5) * 1000, distractors: 4});
    const line = formatFact({key: c.needle.key, value: c.needle.value});
    assert.equal(count(c.context, line), 1, `seed ${seed}`);
    assert.equal(c.context.slice(c.needle.start, c.needle.end), line + "\n");
    assert.equal(count(c.context, `const ${c.needle.key} = `), 1, "the key is defined once");
    assert.match(c.needle.key, keyRe);
    assert.match(c.answer, valueRe);
    assert.equal(c.answer, c.needle.value);
    assert.equal(c.question, `Q: ${c.needle.key} =`);
    assert.equal(c.fileQuestion, `Q: file of ${c.needle.key} is`);
    assert.equal(keyShapeOf(c.needle.key), c.needle.shape);
    assert.equal(valueKindOf(c.answer), c.needle.kind);
    assert.ok(c.context.includes(`// file: ${c.needle.path}\n`), "the needle's file is in the context");
    const fileStart = c.context.indexOf(`// file: ${c.needle.path}\n`);
    const nextHeader = c.context.indexOf("// file: ", fileStart + 1);
    assert.ok(fileStart < c.needle.start && (nextHeader < 0 || nextHeader > c.needle.start), "the needle lies in its file");
    assert.equal(c.distractors.length, 4);
    const parts = splitKey(c.needle.key, c.needle.shape);
    for (const d of c.distractors) {
      assert.notEqual(d.key, c.needle.key);
      assert.equal(keyShapeOf(d.key), c.needle.shape);
      const dp = splitKey(d.key, c.needle.shape);
      assert.equal(dp.length, parts.length);
      assert.equal(dp.filter((p, i) => p !== parts[i]).length, 1, `${d.key} vs ${c.needle.key}`);
      assert.equal(count(c.context, formatFact(d)), 1);
    }
    assert.equal(
      Object.values(c.files).join("").length + Object.keys(c.files).reduce((n, p) => n + `// file: ${p}\n`.length, 0),
      c.context.length
    );
  }
});

test("distractors change the last key part as often as asked: 60 % by default, any part uniformly at 0", () => {
  const lastShare = (share?: number) => {
    const rng = new Rng(`distractors-${share}`);
    let last = 0;
    let total = 0;
    for (let i = 0; i < 400; i++) {
      const key = randomKey(rng, "snake");
      const parts = splitKey(key, "snake");
      for (const d of distractorKeys(rng, key, 2, new Set(), share)) {
        const dp = splitKey(d, "snake");
        assert.equal(dp.filter((p, j) => p !== parts[j]).length, 1, `${d} vs ${key}`);
        last += dp[parts.length - 1] !== parts[parts.length - 1] ? 1 : 0;
        total++;
      }
    }
    return last / total;
  };
  // 2-3 parts: the last one differs 0.6 + 0.4 / 2.5 of the time by default, 1 / 2.5 when any part is drawn uniformly.
  assert.ok(Math.abs(lastShare() - 0.76) < 0.06, `default ${lastShare()}`);
  assert.ok(Math.abs(lastShare(0) - 0.42) < 0.08, `uniform ${lastShare(0)}`);
});

test("needle depth places the fact where asked", () => {
  for (const depth of [0, 0.25, 0.5, 0.75, 1]) {
    const c = generateCase(`depth-${depth}`, {contextChars: 8000, needleDepth: depth});
    const at = c.needle.start / c.context.length;
    assert.ok(Math.abs(at - depth) < 0.1, `depth ${depth} landed at ${at.toFixed(2)}`);
  }
});

test("facts can be planted into a given haystack", () => {
  const haystack = {"lib/real.js": Array.from({length: 200}, (_, i) => `function f${i}() { return ${i}; }`).join("\n")};
  const c = generateCase(3, {contextChars: 3000, haystack, needleDepth: 0.5});
  assert.deepEqual(Object.keys(c.files), ["lib/real.js"]);
  assert.ok(c.context.includes("function f10() { return 10; }"));
  assert.equal(count(c.context, formatFact(c.needle)), 1);
});

test("keys of every shape and values of every kind match exactly the card's patterns", () => {
  const rng = new Rng("patterns");
  const keyRe = new RegExp(`^(?:${KEY_PATTERN})$`);
  const valueRe = new RegExp(`^(?:${VALUE_PATTERN})$`);
  for (const shape of KEY_SHAPES)
    for (let i = 0; i < 300; i++) {
      const key = randomKey(rng, shape);
      assert.match(key, keyRe);
      assert.equal(keyShapeOf(key), shape, key);
    }
  for (const kind of VALUE_KINDS)
    for (let i = 0; i < 300; i++) {
      const value = randomValue(rng, kind);
      assert.match(value, valueRe);
      assert.equal(valueKindOf(value), kind, value);
    }
  assert.equal(keyShapeOf("retry"), undefined, "one word is no key");
  assert.equal(valueKindOf("1234567"), undefined, "integers stop at 6 digits");
});
