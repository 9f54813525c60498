import assert from "node:assert/strict";
import {mkdtempSync, readdirSync, utimesSync, writeFileSync} from "node:fs";
import {mkdir} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {test} from "node:test";
import {BlockStore, STORE_VERSION, type StoreIdentity} from "../../src/engine/store/blockStore";
import {decodeRecord, encodeRecord, RECORD_VERSION, RecordCorruptError, type FileRecord} from "../../src/engine/store/fileRecord";
import {decodeIndex, encodeIndex, type BlockTable} from "../../src/engine/store/indexFile";
import {encodeSeqState} from "../../src/engine/store/seqStateWriter";
import {NODE_STORE_IO, StoreDiskFullError} from "../../src/engine/store/storeIo";
import {LexicalIndex} from "../../src/engine/memory/lexicalIndex";
import {parseSeqState} from "../../src/engine/signals/kvStateParser";

function record(n = 7, withKv = true): {rec: FileRecord; kv?: Uint8Array} {
  const rec: FileRecord = {
    meta: {
      path: "src/a.ts",
      contentSha: "abc",
      headerTokens: 2,
      bodyTokens: n,
      blocks: 2,
      summaryDim: 3,
      kv: withKv ? {stride: 6, layers: [{kType: 1, kRowBytes: 4, vType: 1, vRowBytes: 2}]} : undefined,
    },
    headerIds: Int32Array.from([1, 2]),
    bodyIds: Int32Array.from({length: n}, (_, i) => 100 + i),
    lines: Int32Array.from({length: n}, (_, i) => 1 + (i >> 1)),
    offsets: Int32Array.from([0, 3, n]),
    blockScores: Float32Array.from([0.5, -1]),
    summaries: Float32Array.from([1, 2, 3, 4, 5, 6]),
    positions: Int32Array.from({length: n + 2}, (_, i) => i + 1),
  };
  return {rec, kv: withKv ? Uint8Array.from({length: (n + 2) * 6}, (_, i) => i & 0xff) : undefined};
}

test("file records round-trip, and any damage is a RecordCorruptError", () => {
  const {rec, kv} = record();
  const bytes = encodeRecord(rec, kv);
  const back = decodeRecord(bytes, {verifyKv: true});
  assert.deepEqual(back.meta, rec.meta);
  for (const k of ["headerIds", "bodyIds", "lines", "offsets", "blockScores", "summaries", "positions"] as const)
    assert.deepEqual([...back[k]], [...rec[k]], k);
  assert.deepEqual([...bytes.subarray(back.kvOffset)], [...kv!]);
  for (const at of [0, 5, 40, 100, bytes.length - 3]) {
    const bad = Buffer.from(bytes);
    bad[at] ^= 0x5a;
    assert.throws(() => decodeRecord(bad, {verifyKv: true}), RecordCorruptError, `a flipped byte at ${at}`);
  }
  assert.throws(() => decodeRecord(bytes.subarray(0, bytes.length - 1), {verifyKv: true}), RecordCorruptError, "truncated");
  assert.throws(() => decodeRecord(bytes.subarray(0, 60)), RecordCorruptError, "truncated head");
  assert.throws(() => encodeRecord({...rec, offsets: Int32Array.from([0, 7])}, kv), /block arrays/);
});

test("the index round-trips and refuses another manifest's fingerprint or a damaged payload", () => {
  const t: BlockTable = {
    fileOf: Int32Array.from([0, 0, 1]),
    start: Int32Array.from([0, 3, 0]),
    end: Int32Array.from([3, 7, 4]),
    startLine: Int32Array.from([1, 2, 1]),
    endLine: Int32Array.from([2, 4, 3]),
    score: Float32Array.from([1, 2, 3]),
    segments: 2,
    segmentDim: 2,
    summaries: Float32Array.from({length: 12}, (_, i) => i / 12),
  };
  const bytes = encodeIndex(t, "fp-1");
  const back = decodeIndex(bytes, "fp-1");
  assert.deepEqual([...back.summaries], [...t.summaries]);
  assert.deepEqual([...back.end], [...t.end]);
  assert.throws(() => decodeIndex(bytes, "fp-2"), /another version of the manifest/);
  const bad = Buffer.from(bytes);
  bad[bad.length - 2] ^= 1;
  assert.throws(() => decodeIndex(bad, "fp-1"), /checksum/);
});

const identity = (workspace: string): StoreIdentity => ({
  storeVersion: STORE_VERSION,
  recordVersion: RECORD_VERSION,
  model: {fingerprint: "m", name: "test"},
  runtime: {nodeLlamaCpp: "x", llamaCpp: "y"},
  format: "card",
  segmentation: {name: "dynsplit", options: {blockSize: 16}},
  windowTokens: 2048,
  kv: true,
  kvCacheType: "f16",
  summaryLayers: [0, 1],
  workspace,
});
const emptyTable: BlockTable = {
  fileOf: new Int32Array(0),
  start: new Int32Array(0),
  end: new Int32Array(0),
  startLine: new Int32Array(0),
  endLine: new Int32Array(0),
  score: new Float32Array(0),
  segments: 0,
  segmentDim: 0,
  summaries: new Float32Array(0),
};

test("a full disk is one clear error and the last complete store stays usable", async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "dynsplit-store-unit-"));
  const store = await BlockStore.open(root, identity("/ws"));
  await store.writeRecord("prompt", encodeRecord(record(0, false).rec));
  const good = await store.commit({prompt: {record: "prompt", tokens: 2}, files: []}, emptyTable, LexicalIndex.empty());
  // Every later write fails as on a full disk.
  const full = Object.assign(new Error("ENOSPC: no space left on device, write"), {code: "ENOSPC"});
  const failing = await BlockStore.open(root, identity("/ws"), {...NODE_STORE_IO, writeFile: async () => Promise.reject(full)});
  await assert.rejects(
    failing.writeRecord("k", encodeRecord(record().rec, record().kv)),
    (err: Error) => err instanceof StoreDiskFullError && /disk is full.*last complete store is kept/.test(err.message)
  );
  await assert.rejects(
    failing.commit({prompt: {record: "prompt", tokens: 2}, files: []}, emptyTable, LexicalIndex.empty()),
    StoreDiskFullError
  );
  const reopened = await BlockStore.open(root, identity("/ws"));
  assert.equal(reopened.manifest?.updatedAt, good.updatedAt, "the previous manifest is intact");
  assert.ok(await reopened.loadIndex(), "and its index still verifies");
  assert.ok(!readdirSync(reopened.dir).some((n) => n.includes(".tmp-")), "no temporary files are left behind");
});

test("stores beyond the size cap are evicted whole, least recently used first, never the one in use", async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "dynsplit-store-cap-"));
  const dirs: string[] = [];
  for (const [i, ws] of ["/a", "/b", "/c"].entries()) {
    const s = await BlockStore.open(root, identity(ws));
    await mkdir(path.join(s.dir, "records"), {recursive: true});
    writeFileSync(path.join(s.dir, "records", "big.rec"), Buffer.alloc(100_000));
    await s.writeRecord("prompt", encodeRecord(record(0, false).rec));
    await s.commit({prompt: {record: "prompt", tokens: 2}, files: []}, emptyTable, LexicalIndex.empty());
    s.manifest!.lastUsedAt = 1000 + i; // a, then b, then c
    writeFileSync(path.join(s.dir, "manifest.json"), JSON.stringify({...s.manifest, totalBytes: 100_000}));
    utimesSync(path.join(s.dir, "manifest.json"), new Date(), new Date());
    dirs.push(s.dir);
  }
  const removed = await BlockStore.enforceCap(root, 250_000, dirs[0]);
  assert.deepEqual(removed, [dirs[1]], "b (the oldest other than a, which is in use) goes; c fits");
  assert.deepEqual(readdirSync(root).sort(), [path.basename(dirs[0]), path.basename(dirs[2])].sort());
});

test("a written sequence state parses back to the same rows (V plain and transposed)", () => {
  for (const vTrans of [false, true]) {
    const n = 5;
    const k = [Uint8Array.from({length: n * 8}, (_, i) => i), Uint8Array.from({length: n * 8}, (_, i) => 255 - i)];
    const v = [Uint8Array.from({length: n * 4}, (_, i) => 3 * i), Uint8Array.from({length: n * 4}, (_, i) => 7 * i)];
    const layout = {
      nStream: 2,
      stream: 1,
      vTrans,
      layers: [0, 1].map(() => ({kType: 1, kRowBytes: 8, vType: 1, vRowBytes: 4, vElemBytes: 2})),
    };
    const bytes = encodeSeqState(layout, {tokens: [9, 8, 7, 6, 5], k, v});
    const st = parseSeqState(bytes, {raw: true, wantV: true});
    assert.deepEqual([...st.tokens], [9, 8, 7, 6, 5]);
    assert.equal(st.stream, 1);
    assert.equal(st.vTrans, vTrans);
    assert.deepEqual([...st.positions], [0, 1, 2, 3, 4]);
    st.layers.forEach((l, i) => {
      assert.deepEqual([...l.kRaw!], [...k[i]], `K layer ${i}`);
      assert.deepEqual([...l.vRaw!], [...v[i]], `V layer ${i} (vTrans ${vTrans})`);
    });
  }
});
