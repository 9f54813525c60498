/**
 * The DynSplit attention probe (patched node-llama-cpp build, `npm run build:kernels`) against reference math:
 * layer-0 attention recomputed in JS from the model's weights (roped queries) and the parsed KV state (keys).
 * These tests FAIL, on purpose, when the probe build is missing.
 */
import assert from "node:assert/strict";
import {after, before, test} from "node:test";
import type {Llama, LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import {
  captureQueryVectors,
  evaluateObservationWindow,
  prefillMeasuringKeyNorms,
  prefillWithAttentionProbe,
} from "../../src/engine/signals/attentionSignal";
import {computeKeyNormSignal} from "../../src/engine/signals/keyNormSignal";
import {readSequenceKvState} from "../../src/engine/signals/sequenceState";
import {join} from "node:path";
import {readLayer0Weights} from "./helpers/ggufLayer0Weights";
import {referenceObservationMassLayer0, referenceQueryLayer0} from "./helpers/referenceLlama";
import {openTinyModel, sampleText, type TinyModelFixture} from "./helpers/tinyModelFixture";

let fixture: TinyModelFixture;
let llama: Llama;
let model: LlamaModel;

before(async () => {
  ({fixture, llama, model} = await openTinyModel(true));
});

after(async () => {
  await model?.dispose();
  await llama?.dispose();
  fixture?.dispose();
});

function promptTokens(chars: number): Token[] {
  return [model.tokens.bos!, ...model.tokenize(sampleText(chars))];
}

/**
 * The CPU computes attention in F32: ≤ 1e-3 of the reference (and 1e-4 for sums of probabilities). With every layer on a
 * GPU backend (`DYNSPLIT_TEST_GPU=auto`, scripts/device/) the backend's own projections and softmax run at lower
 * precision (Vulkan's attention rows sum to 1 ± 2e-4 here); there the same checks allow twice as much.
 */
const ON_GPU = process.env.DYNSPLIT_TEST_GPU === "auto";
const REL = ON_GPU ? 2e-3 : 1e-3;
const SUM = ON_GPU ? 1e-3 : 1e-4;

/** max |a − b| / max |b| */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let maxDiff = 0,
    maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  return maxDiff / maxRef;
}

/** Reference layer-0 observation mass of the sequence's last `w` tokens, normalised like the signal. */
async function referenceScores(sequence: LlamaContextSequence, w: number): Promise<Float64Array> {
  const state = await readSequenceKvState(sequence, {layers: [0]});
  const tokens = sequence.contextTokens;
  const queries = Array.from({length: w}, (_, i) => tokens.length - w + i);
  const mass = referenceObservationMassLayer0(fixture.weights, tokens, state.layers[0].K, queries);
  const norm = 1 / (w * fixture.weights.shape.nHead);
  return mass.map((m) => m * norm);
}

for (const flashAttention of [true, false]) {
  test(`probe obsMass (layer 0) matches softmax(q·Kᵀ/√d) from weights + parsed KV, rel. error ≤ ${REL} (flash attention ${flashAttention ? "on" : "off"})`, async (t) => {
    const context = await model.createContext({contextSize: 2048, threads: 1, flashAttention});
    try {
      const sequence = context.getSequence();
      const w = 24;
      const {signal, readout} = await prefillWithAttentionProbe(sequence, promptTokens(700), {observationWindow: w, layers: [0]});
      assert.equal(readout.path, "graph");
      assert.deepEqual(readout.layersSeen, [0]);
      assert.equal(readout.skipped, 0);
      assert.equal(readout.obsDistributions, w * fixture.weights.shape.nHead);
      assert.equal(signal.tokenScores.length, sequence.contextTokens.length);
      const total = signal.tokenScores.reduce((s, x) => s + x, 0);
      assert.ok(Math.abs(total - 1) < SUM, `scores sum to ${total}`);
      const err = relativeError(signal.tokenScores, await referenceScores(sequence, w));
      t.diagnostic(`relative error ${err.toExponential(2)}, probe ${readout.probeMs.toFixed(2)} ms`);
      assert.ok(err <= REL, `relative error ${err}`);
    } finally {
      await context.dispose();
    }
  });
}

// The same check on the bundled model (F16 weights, its own tokenizer): a real model file, not only the random one.
for (const flashAttention of [true, false]) {
  test(`bundled model: obsMass (layer 0) matches the reference from its GGUF weights + parsed KV, rel. error ≤ ${REL} (flash attention ${flashAttention ? "on" : "off"})`, async (t) => {
    const path = join(import.meta.dirname, "../../models/dynsplit-tiny.gguf");
    const weights = await readLayer0Weights(path);
    const bundled = await llama.loadModel({modelPath: path, gpuLayers: 0});
    const context = await bundled.createContext({contextSize: 2048, threads: 1, flashAttention});
    try {
      const sequence = context.getSequence();
      const w = 16;
      const tokens = [bundled.tokens.bos!, ...bundled.tokenize(sampleText(1500))];
      const {signal, readout} = await prefillWithAttentionProbe(sequence, tokens, {observationWindow: w, layers: [0]});
      assert.equal(readout.obsDistributions, w * weights.shape.nHead);
      const state = await readSequenceKvState(sequence, {layers: [0]});
      const ctxTokens = sequence.contextTokens;
      const queries = Array.from({length: w}, (_, i) => ctxTokens.length - w + i);
      const reference = referenceObservationMassLayer0(weights, ctxTokens, state.layers[0].K, queries).map(
        (m) => m / (w * weights.shape.nHead)
      );
      const err = relativeError(signal.tokenScores, reference);
      t.diagnostic(`${ctxTokens.length} tokens, relative error ${err.toExponential(2)}`);
      assert.ok(err <= REL, `relative error ${err}`);
    } finally {
      await context.dispose();
      await bundled.dispose();
    }
  });
}

test(`key norms computed in the graph for the new keys equal those read back from the sequence state (rel. error ≤ ${REL})`, async (t) => {
  const context = await model.createContext({contextSize: 1024, threads: 1});
  try {
    const sequence = context.getSequence();
    const first = promptTokens(400);
    const graph = [...(await prefillMeasuringKeyNorms(sequence, first))];
    // a second chunk: only its new keys are measured, at their positions
    graph.push(...(await prefillMeasuringKeyNorms(sequence, model.tokenize(sampleText(150)))));
    const fromState = await computeKeyNormSignal(sequence);
    assert.equal(graph.length, sequence.contextTokens.length);
    const err = relativeError(graph, fromState.tokenScores);
    t.diagnostic(`${graph.length} tokens, relative error ${err.toExponential(2)}`);
    assert.ok(err <= REL, `relative error ${err}`);
  } finally {
    await context.dispose();
  }
});

test("probe maps KV cells to positions after evictions reuse cells out of order", async (t) => {
  const context = await model.createContext({contextSize: 1024, threads: 1});
  try {
    const sequence = context.getSequence();
    await sequence.evaluateWithoutGeneratingNewTokens(promptTokens(500));
    await sequence.eraseContextTokenRanges([{start: 30, end: 200}]);
    await sequence.evaluateWithoutGeneratingNewTokens(model.tokenize(sampleText(100)));
    const question = model.tokenize("Question: which function adds two numbers?");
    const {signal} = await evaluateObservationWindow(sequence, question, {layers: [0]});
    const state = await readSequenceKvState(sequence, {layers: [0]});
    assert.ok(
      state.cellPositions.some((p, i) => i > 0 && p < state.cellPositions[i - 1]),
      "cells should be out of order"
    );
    const err = relativeError(signal.tokenScores, await referenceScores(sequence, question.length));
    t.diagnostic(`relative error ${err.toExponential(2)}`);
    assert.ok(err <= REL, `relative error ${err}`);
  } finally {
    await context.dispose();
  }
});

for (const flashAttention of [true, false]) {
  test(`dense mode: localMass/distantMass for every token match the reference split (r = 16, 4 sinks, flash attention ${flashAttention ? "on" : "off"})`, async () => {
    const context = await model.createContext({contextSize: 1024, threads: 1, flashAttention});
    try {
      const sequence = context.getSequence();
      const r = 16,
        sinks = 4;
      const {signal, readout} = await prefillWithAttentionProbe(sequence, promptTokens(300), {
        observationWindow: 8,
        dense: true,
        localWindow: r,
        sinkTokens: sinks,
        layers: [0],
      });
      const n = sequence.contextTokens.length;
      assert.ok(signal.localMass && signal.distantMass, "dense mode provides localMass/distantMass");
      assert.equal(signal.localMass.length, n);
      for (let q = 0; q < n; q++) {
        const sink = readout.sinkByPos[q] / readout.queryRowsByPos[q];
        assert.ok(Math.abs(signal.localMass[q] + signal.distantMass[q] + sink - 1) < SUM, `masses of ${q} sum to 1`);
      }
      const state = await readSequenceKvState(sequence, {layers: [0]});
      const {nHead, nHeadKv, nEmbd} = fixture.weights.shape;
      const headDim = nEmbd / nHead,
        K = state.layers[0].K,
        kvRow = nHeadKv * headDim;
      for (const q of [5, 40, 150, n - 1]) {
        const query = referenceQueryLayer0(fixture.weights, sequence.contextTokens[q], q);
        let local = 0,
          distant = 0;
        for (let h = 0; h < nHead; h++) {
          const hk = Math.floor(h / (nHead / nHeadKv));
          const s = Array.from({length: q + 1}, (_, j) => {
            let dot = 0;
            for (let d = 0; d < headDim; d++) dot += query[h * headDim + d] * K[j * kvRow + hk * headDim + d];
            return dot / Math.sqrt(headDim);
          });
          const max = Math.max(...s);
          const e = s.map((x) => Math.exp(x - max));
          const z = e.reduce((a, b) => a + b, 0);
          e.forEach((x, j) => {
            if (j > q - r) local += x / z;
            else if (j >= sinks) distant += x / z;
          });
        }
        assert.ok(Math.abs(signal.localMass[q] - local / nHead) <= REL * Math.max(local / nHead, 1e-2), `local ${q}`);
        assert.ok(Math.abs(signal.distantMass[q] - distant / nHead) <= REL * Math.max(distant / nHead, 1e-2), `distant ${q}`);
      }
    } finally {
      await context.dispose();
    }
  });
}

test("probe honours the layer subset and counts one distribution per (layer, head, observation row)", async () => {
  const context = await model.createContext({contextSize: 1024, threads: 1});
  try {
    const sequence = context.getSequence();
    await sequence.evaluateWithoutGeneratingNewTokens(promptTokens(200));
    const {readout} = await evaluateObservationWindow(sequence, model.tokenize("abc"), {layers: [1]});
    assert.deepEqual(readout.layersSeen, [1]);
    assert.equal(readout.obsDistributions, 3 * fixture.weights.shape.nHead);
  } finally {
    await context.dispose();
  }
});

test("probe captures the roped query vectors of observation rows: layer 0 equals RoPE(Wq·x, pos) from the weights", async () => {
  const context = await model.createContext({contextSize: 1024, threads: 1, flashAttention: true});
  try {
    const sequence = context.getSequence();
    const prompt = promptTokens(300);
    await sequence.evaluateWithoutGeneratingNewTokens(prompt);
    const question = model.tokenize(sampleText(40));
    const captured = await captureQueryVectors(sequence, question, {layers: [0]});
    assert.equal(captured.length, 1);
    const c = captured[0];
    assert.equal(c.layer, 0);
    assert.deepEqual(
      [...c.positions],
      question.map((_, i) => prompt.length + i),
      "one row a question token, at its position"
    );
    const rowElems = c.nHead * c.headDim;
    let worst = 0;
    question.forEach((token, r) => {
      const ref = referenceQueryLayer0(fixture.weights, token, prompt.length + r);
      worst = Math.max(worst, relativeError(c.data.subarray(r * rowElems, (r + 1) * rowElems), ref));
    });
    console.log(`captured queries: relative error ${worst.toExponential(2)}`);
    assert.ok(worst <= REL, `relative error ${worst}`);
  } finally {
    await context.dispose();
  }
});
