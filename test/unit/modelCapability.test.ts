import assert from "node:assert/strict";
import {test} from "node:test";
import fc from "fast-check";
import {modelCapability, type ModelTraits} from "../../src/core/modelCapability";

const plain: ModelTraits = {
  architecture: "llama",
  recurrent: false,
  hybrid: false,
  encoder: false,
  multiAxisRope: false,
  qkNorm: false,
  mla: false,
};

test("capability: a plain transformer is supported with nothing changed", () => {
  const c = modelCapability(plain);
  assert.equal(c.verdict, "supported");
  assert.deepEqual(c.refusedModes, {});
  assert.equal(c.swaFullCache, false);
  assert.equal(c.keyNormInformative, true);
  assert.equal(c.plainKvState, true);
  assert.equal(c.reason, "");
});

test("capability: recurrent, hybrid and encoder models refuse every compressed mode and say why", () => {
  for (const [trait, words] of [
    ["recurrent", /recurrent state/],
    ["hybrid", /recurrent layers/],
    ["encoder", /encoder/],
  ] as const) {
    const c = modelCapability({...plain, architecture: "x", [trait]: true});
    assert.equal(c.verdict, "refused", trait);
    assert.match(c.reason, words);
    assert.match(c.refusedModes.memory!, /--method full/);
    assert.match(c.refusedModes.compressed!, /--method full/);
    assert.equal(c.keyNormInformative, false);
  }
});

test("capability: M-RoPE refuses the compressed stream only; iSWA gets the full SWA cache; QK-norm turns key norms off", () => {
  const mrope = modelCapability({...plain, architecture: "qwen2vl", multiAxisRope: true});
  assert.equal(mrope.verdict, "adapted");
  assert.equal(mrope.refusedModes.memory, undefined);
  assert.match(mrope.refusedModes.compressed!, /M-RoPE.*--answer-from memory/);
  const swa = modelCapability({...plain, architecture: "gemma3", swaSize: 512});
  assert.equal(swa.verdict, "adapted");
  assert.equal(swa.swaFullCache, true);
  assert.equal(swa.plainKvState, false);
  assert.match(swa.reason, /window 512/);
  const qk = modelCapability({...plain, architecture: "qwen3", qkNorm: true});
  assert.equal(qk.verdict, "adapted");
  assert.equal(qk.keyNormInformative, false);
  assert.deepEqual(qk.refusedModes, {});
  const mla = modelCapability({...plain, architecture: "deepseek2", mla: true});
  assert.equal(mla.plainKvState, false);
});

test("capability: any mix of traits gives one verdict, refusal wins, and every adaptation is named", () => {
  const traits = fc.record({
    recurrent: fc.boolean(),
    hybrid: fc.boolean(),
    encoder: fc.boolean(),
    swaSize: fc.option(fc.integer({min: 1, max: 8192}), {nil: undefined}),
    multiAxisRope: fc.boolean(),
    qkNorm: fc.boolean(),
    mla: fc.boolean(),
  });
  fc.assert(
    fc.property(traits, (t) => {
      const c = modelCapability({...t, architecture: "a"});
      const refused = t.recurrent || t.hybrid || t.encoder;
      const adapted = !refused && (t.swaSize != null || t.multiAxisRope || t.qkNorm || t.mla);
      assert.equal(c.verdict, refused ? "refused" : adapted ? "adapted" : "supported");
      assert.equal(c.reason.length > 0, c.verdict !== "supported");
      if (!refused)
        assert.equal(c.reason.split("; ").length, [t.swaSize != null, t.multiAxisRope, t.qkNorm, t.mla].filter(Boolean).length || 1);
      assert.equal(c.swaFullCache, !refused && t.swaSize != null);
    })
  );
});

test("capability: a quantized key cache refuses the compressed stream (K-shift) and keeps the repository memory", () => {
  const c = modelCapability({...plain, quantizedKeys: "q8_0"});
  assert.equal(c.verdict, "adapted");
  assert.match(c.refusedModes.compressed!, /K-shift.*q8_0.*--kv-cache f16/);
  assert.equal(c.refusedModes.memory, undefined);
  const both = modelCapability({...plain, multiAxisRope: true, quantizedKeys: "q4_0"});
  assert.match(both.refusedModes.compressed!, /M-RoPE/, "the first reason stands");
  assert.equal(both.reason.split("; ").length, 2);
});

test("capability: q4_0 keys are not read back (no key boxes, no key-norm signal); q8_0 keys are", () => {
  assert.equal(modelCapability({...plain, quantizedKeys: "q4_0"}).plainKvState, false);
  assert.equal(modelCapability({...plain, quantizedKeys: "q8_0"}).plainKvState, true);
});
