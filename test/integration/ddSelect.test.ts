/**
 * Dense DD-Select end to end: with the attention probe, every chunk's tokens are measured as queries when that chunk
 * is prefilled, so DD-Select cuts on attention masses at every compression, not only on the first chunk's. Needs the
 * probe build (`npm run build:kernels`, part of `npm test`): it FAILS, on purpose, when the build is missing.
 */
import assert from "node:assert/strict";
import {test} from "node:test";
import {generateCase} from "../../src/corpus";
import type {IngestRequest} from "../../src/engine/engine";
import {openTestEngine, writeWorkspace} from "../helpers/engineFixtures";

test(
  "dense DD-Select gets the probe's attention masses at every compression; a per-token signal says it fell back",
  {timeout: 300_000},
  async () => {
    const engine = await openTestEngine({probe: "on"});
    try {
      const c = generateCase(9_700_001, {contextTokens: 3000});
      const dir = writeWorkspace(c.files);
      const request: IngestRequest = {roots: [dir], answerFrom: "once", method: "dynsplit", budget: {tokens: 512}, useCache: false};
      const dense = await engine.ingest({...request, signal: "attention"});
      assert.ok(dense.compressions >= 3, `${dense.compressions} compressions: the masses must survive several chunks`);
      assert.equal(dense.ddSelect, "attention", "DD-Select ran on attention masses at the last compression");
      const a = await engine.ask(c.question);
      assert.equal(a.ddSelect, "attention");
      const proxy = await engine.ingest({...request, signal: "keyNorm"});
      assert.equal(proxy.ddSelect, "contrast-fallback");
    } finally {
      await engine.dispose();
    }
  }
);
