import assert from "node:assert/strict";
import {test} from "node:test";
import {progressPrinter} from "../../src/cli/progress";

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return {writes, stream: {isTTY, write: (s: string) => (writes.push(s), true)} as unknown as NodeJS.WriteStream};
}

test("progress on a pipe: one plain line every few seconds, not one record per chunk", () => {
  const {writes, stream} = fakeStream(false);
  const p = progressPrinter(stream, {intervalMs: 60_000});
  for (let i = 0; i <= 500; i++) p({filesRead: i, filesTotal: 500, tokensRead: i * 100, tokensTotal: 50_000, etaMs: (500 - i) * 20});
  p.end();
  assert.equal(writes.length, 1, "the first report only, within one interval");
  assert.ok(
    writes.every((w) => w.endsWith("\n") && !w.includes("\r")),
    "plain lines"
  );
  assert.match(writes[0], /reading 0\/500 files · 0\/50000 tokens · about 10 s left/);
});

test("progress on a terminal: one line updated in place, ended by a newline", () => {
  const {writes, stream} = fakeStream(true);
  const p = progressPrinter(stream, {intervalMs: 0});
  p({filesRead: 1, filesTotal: 2, tokensRead: 10, tokensTotal: 20, etaMs: 65_000});
  p({filesRead: 2, filesTotal: 2, tokensRead: 20, tokensTotal: 20});
  p.end();
  assert.ok(writes[0].startsWith("\r") && writes[0].includes("about 1 min 5 s left"));
  assert.ok(!writes[1].includes("left"), "no ETA once done");
  assert.equal(writes[writes.length - 1], "\n");
});
