/**
 * Writes a llama.cpp sequence state file (`llama_state_seq_save_file` layout, docs llama-notes §3; the inverse of
 * kvStateParser) from KV rows we hold, so that `LlamaContextSequence.loadStateFromFile` places a context that was
 * never evaluated in this process: the block store's "restore" placement. Cells are written at positions 0..n−1, the
 * only layout node-llama-cpp's sequence bookkeeping accepts (it takes token index = position).
 */

const STATE_MAGIC = 0x67677371; // 'ggsq'
const STATE_VERSION = 3;

/** The KV layout of the context the file is for, read off one of its own state files. */
export interface KvFileLayout {
  nStream: number;
  /** Stream that holds sequence 0. */
  stream: number;
  vTrans: boolean;
  layers: {kType: number; kRowBytes: number; vType: number; vRowBytes: number; vElemBytes: number}[];
}

export interface KvRowsToWrite {
  tokens: ArrayLike<number>;
  /** Per layer: n × kRowBytes, rows in position order. */
  k: Uint8Array[];
  /** Per layer: n × vRowBytes, rows in position order (not transposed). */
  v: Uint8Array[];
}

export function encodeSeqState(layout: KvFileLayout, rows: KvRowsToWrite): Uint8Array {
  const n = rows.tokens.length;
  const nLayer = layout.layers.length;
  if (rows.k.length !== nLayer || rows.v.length !== nLayer)
    throw new Error(`encodeSeqState: ${rows.k.length}/${rows.v.length} layers of rows for a ${nLayer}-layer cache`);
  let size = 12 + 4 * n + 4 + 4 * (layout.nStream - 1) + 4 + 12 * n + 8;
  for (const l of layout.layers) size += 12 + n * l.kRowBytes + (layout.vTrans ? 12 : 12) + n * l.vRowBytes;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  const u32 = (v: number) => (view.setUint32(o, v, true), (o += 4));
  const i32 = (v: number) => (view.setInt32(o, v, true), (o += 4));
  const u64 = (v: number) => (view.setBigUint64(o, BigInt(v), true), (o += 8));
  u32(STATE_MAGIC);
  u32(STATE_VERSION);
  u32(n);
  for (let i = 0; i < n; i++) i32(rows.tokens[i]);
  u32(layout.nStream);
  for (let s = 0; s < layout.nStream; s++) {
    if (s !== layout.stream) {
      u32(0);
      continue;
    }
    u32(n);
    for (let c = 0; c < n; c++) {
      i32(c); // position
      u32(1); // one sequence id…
      i32(0); // …which the reader replaces with the destination sequence
    }
    u32(layout.vTrans ? 1 : 0);
    u32(nLayer);
    layout.layers.forEach((l, i) => {
      checkRows("K", rows.k[i], n, l.kRowBytes, i);
      i32(l.kType);
      u64(l.kRowBytes);
      out.set(rows.k[i], o);
      o += rows.k[i].length;
    });
    layout.layers.forEach((l, i) => {
      checkRows("V", rows.v[i], n, l.vRowBytes, i);
      i32(l.vType);
      if (!layout.vTrans) {
        u64(l.vRowBytes);
        out.set(rows.v[i], o);
        o += rows.v[i].length;
        return;
      }
      const e = l.vElemBytes;
      const dims = l.vRowBytes / e;
      u32(e);
      u32(dims);
      // rows [cell][dim] → the file's [dim][cell]
      for (let j = 0; j < dims; j++)
        for (let c = 0; c < n; c++) {
          const src = (c * dims + j) * e;
          out.set(rows.v[i].subarray(src, src + e), o);
          o += e;
        }
    });
  }
  return out.subarray(0, o);
}

function checkRows(kind: string, rows: Uint8Array, n: number, rowBytes: number, layer: number) {
  if (rows.length !== n * rowBytes)
    throw new Error(`encodeSeqState: layer ${layer} ${kind} holds ${rows.length} bytes, expected ${n} × ${rowBytes}`);
}
