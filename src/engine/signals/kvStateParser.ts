/**
 * Parser of the file `LlamaContextSequence.saveStateToFile` writes (llama.cpp `llama_state_seq_save_file`,
 * layout in docs llama-notes §3, plain `llama_kv_cache` only — not iSWA/hybrid/recurrent memories).
 *
 * The file lists the sequence's cells in CELL-INDEX order; after evictions freed cells are reused out of order,
 * so the parser sorts the cells by position and returns K/V rows in POSITION order (row t = token t of
 * `sequence.contextTokens` when positions are contiguous, which node-llama-cpp maintains).
 */

const STATE_MAGIC = 0x67677371; // 'ggsq'
const STATE_VERSION = 3;

/** ggml type ids the parser decodes. */
export const GgmlType = {F32: 0, F16: 1, Q8_0: 8, BF16: 30} as const;

export interface KvStateParseOptions {
  /** Layers to decode (default: all). Others are skipped without decoding. */
  layers?: readonly number[];
  /** Also decode V (default false: K only). */
  wantV?: boolean;
  /** Extra bytes per cell (12 for M-RoPE/PLE models' llama_kv_cell_ext; 0 otherwise). */
  cellExtBytes?: number;
  /** Also return the undecoded rows (`kRaw`, `vRaw`), in position order, for every layer (the block store keeps them). */
  raw?: boolean;
  /** Decode (to f32) only rows from this position-order index on (default 0); earlier rows stay zero. */
  fromRow?: number;
}

export interface KvLayerRows {
  /** KV-owning layer index in the file. */
  layer: number;
  kType: number;
  /** Elements per K row = n_head_kv * head_dim. */
  kRowElems: number;
  /** [token (position order)][n_head_kv * head_dim], decoded to f32 (after RoPE, as stored). */
  K: Float32Array;
  vType?: number;
  vRowElems?: number;
  /** Same layout as K; v_trans files are transposed back. */
  V?: Float32Array;
  /** Bytes of one K row in the file's type. */
  kRowBytes: number;
  /** Bytes of one V row (vTrans files: element bytes × n_embd_v_gqa). */
  vRowBytes?: number;
  /** Undecoded rows in position order (options.raw): cellCount × kRowBytes, and V un-transposed to cellCount × vRowBytes. */
  kRaw?: Uint8Array;
  vRaw?: Uint8Array;
}

export interface ParsedSeqState {
  tokens: Int32Array;
  nStream: number;
  /** Index of the stream that holds the sequence's cells. */
  stream: number;
  cellCount: number;
  /** Position of each cell, in file (cell-index) order. */
  cellPositions: Int32Array;
  /** For token (position-order) row t: the file-order cell it came from. */
  cellOfRow: Int32Array;
  /** Sorted positions: positions[t] is the position of row t. */
  positions: Int32Array;
  vTrans: boolean;
  nLayer: number;
  /** Decoded layers (only those requested). */
  layers: KvLayerRows[];
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** f16 bits → f32 value, for every 16-bit pattern. */
export const f16Table = (() => {
  const t = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = f16ToF32(i);
  return t;
})();

function elementsPerRow(type: number, rowBytes: number): number {
  switch (type) {
    case GgmlType.F32:
      return rowBytes / 4;
    case GgmlType.F16:
    case GgmlType.BF16:
      return rowBytes / 2;
    case GgmlType.Q8_0:
      return (rowBytes / 34) * 32;
    default:
      throw new Error(`kvStateParser: unsupported ggml type ${type}`);
  }
}

/** Decodes `count` elements of `type` starting at byte `offset` into out[outOffset..]. */
function decodeElements(
  view: DataView,
  bytes: Uint8Array,
  type: number,
  offset: number,
  count: number,
  out: Float32Array,
  outOffset: number
): void {
  switch (type) {
    case GgmlType.F32:
      for (let i = 0; i < count; i++) out[outOffset + i] = view.getFloat32(offset + 4 * i, true);
      return;
    case GgmlType.F16:
      for (let i = 0; i < count; i++) out[outOffset + i] = f16Table[bytes[offset + 2 * i] | (bytes[offset + 2 * i + 1] << 8)];
      return;
    case GgmlType.BF16:
      for (let i = 0; i < count; i++) {
        const u32 = ((bytes[offset + 2 * i] | (bytes[offset + 2 * i + 1] << 8)) << 16) >>> 0;
        out[outOffset + i] = bf16ToF32(u32);
      }
      return;
    case GgmlType.Q8_0:
      for (let b = 0; b < count / 32; b++) {
        const base = offset + 34 * b;
        const d = f16Table[bytes[base] | (bytes[base + 1] << 8)];
        for (let i = 0; i < 32; i++) out[outOffset + 32 * b + i] = d * ((bytes[base + 2 + i] << 24) >> 24);
      }
      return;
    default:
      throw new Error(`kvStateParser: unsupported ggml type ${type}`);
  }
}

const bf16Buf = new DataView(new ArrayBuffer(4));
function bf16ToF32(u32: number): number {
  bf16Buf.setUint32(0, u32, true);
  return bf16Buf.getFloat32(0, true);
}

/** Copies rows of `rowBytes` starting at `offset`, in the order `cellOfRow` gives (file cell index per output row). */
function gatherRows(bytes: Uint8Array, offset: number, rowBytes: number, cellOfRow: Int32Array): Uint8Array {
  const out = new Uint8Array(cellOfRow.length * rowBytes);
  for (let t = 0; t < cellOfRow.length; t++) {
    const src = offset + cellOfRow[t] * rowBytes;
    out.set(bytes.subarray(src, src + rowBytes), t * rowBytes);
  }
  return out;
}

/** Parses a sequence state file's bytes. */
export function parseSeqState(input: Uint8Array, options: KvStateParseOptions = {}): ParsedSeqState {
  const bytes = input;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  const u32 = (): number => {
    const v = view.getUint32(o, true);
    o += 4;
    return v;
  };
  const i32 = (): number => {
    const v = view.getInt32(o, true);
    o += 4;
    return v;
  };
  const u64 = (): number => {
    const v = Number(view.getBigUint64(o, true));
    o += 8;
    return v;
  };

  if (u32() !== STATE_MAGIC) throw new Error("kvStateParser: not a llama.cpp sequence state file (bad magic)");
  const version = u32();
  if (version !== STATE_VERSION) throw new Error(`kvStateParser: unsupported state version ${version}`);
  const nToken = u32();
  const tokens = new Int32Array(nToken);
  for (let i = 0; i < nToken; i++) tokens[i] = i32();
  const nStream = u32();
  const extBytes = options.cellExtBytes ?? 0;
  const wanted = options.layers ? new Set(options.layers) : null;
  const fromRow = Math.max(0, options.fromRow ?? 0);

  for (let s = 0; s < nStream; s++) {
    const cellCount = u32();
    if (cellCount === 0) continue;
    const cellPositions = new Int32Array(cellCount);
    for (let c = 0; c < cellCount; c++) {
      cellPositions[c] = i32();
      const nSeq = u32();
      o += extBytes + 4 * nSeq;
    }
    const vTrans = u32() !== 0;
    const nLayer = u32();
    const cellOfRow = Int32Array.from({length: cellCount}, (_, i) => i).sort((a, b) => cellPositions[a] - cellPositions[b]);
    const positions = Int32Array.from(cellOfRow, (c) => cellPositions[c]);
    const layers: KvLayerRows[] = [];

    for (let l = 0; l < nLayer; l++) {
      const kType = i32();
      const kRowBytes = u64();
      const kRowElems = elementsPerRow(kType, kRowBytes);
      const decode = !wanted || wanted.has(l);
      if (decode || options.raw) {
        const K = new Float32Array(decode ? cellCount * kRowElems : 0);
        if (decode)
          for (let t = fromRow; t < cellCount; t++)
            decodeElements(view, bytes, kType, o + cellOfRow[t] * kRowBytes, kRowElems, K, t * kRowElems);
        const entry: KvLayerRows = {layer: l, kType, kRowElems, K, kRowBytes};
        if (options.raw) entry.kRaw = gatherRows(bytes, o, kRowBytes, cellOfRow);
        layers.push(entry);
      }
      o += kRowBytes * cellCount;
    }

    for (let l = 0; l < nLayer; l++) {
      const vType = i32();
      const decode = options.wantV && (!wanted || wanted.has(l));
      const target = layers.find((x) => x.layer === l);
      if (!vTrans) {
        const vRowBytes = u64();
        const vRowElems = elementsPerRow(vType, vRowBytes);
        if (decode && target) {
          const V = new Float32Array(cellCount * vRowElems);
          for (let t = fromRow; t < cellCount; t++)
            decodeElements(view, bytes, vType, o + cellOfRow[t] * vRowBytes, vRowElems, V, t * vRowElems);
          Object.assign(target, {vType, vRowElems, V});
        }
        if (target) Object.assign(target, {vType, vRowBytes, ...(options.raw ? {vRaw: gatherRows(bytes, o, vRowBytes, cellOfRow)} : {})});
        o += vRowBytes * cellCount;
      } else {
        const vElemBytes = u32();
        const nEmbdV = u32();
        if (decode && target) {
          // [dim][cell] in the file; one dim's column is cellCount elements
          const column = new Float32Array(cellCount);
          const V = new Float32Array(cellCount * nEmbdV);
          for (let j = 0; j < nEmbdV; j++) {
            decodeElements(view, bytes, vType, o + j * cellCount * vElemBytes, cellCount, column, 0);
            for (let t = 0; t < cellCount; t++) V[t * nEmbdV + j] = column[cellOfRow[t]];
          }
          Object.assign(target, {vType, vRowElems: nEmbdV, V});
        }
        if (target) {
          Object.assign(target, {vType, vRowBytes: vElemBytes * nEmbdV});
          if (options.raw) {
            // [dim][cell] in the file → [row][dim] rows of vElemBytes-wide elements
            const vRaw = new Uint8Array(cellCount * nEmbdV * vElemBytes);
            for (let j = 0; j < nEmbdV; j++)
              for (let t = 0; t < cellCount; t++) {
                const src = o + (j * cellCount + cellOfRow[t]) * vElemBytes;
                vRaw.set(bytes.subarray(src, src + vElemBytes), (t * nEmbdV + j) * vElemBytes);
              }
            target.vRaw = vRaw;
          }
        }
        o += vElemBytes * nEmbdV * cellCount;
      }
    }
    return {tokens, nStream, stream: s, cellCount, cellPositions, cellOfRow, positions, vTrans, nLayer, layers};
  }
  return {
    tokens,
    nStream,
    stream: -1,
    cellCount: 0,
    cellPositions: new Int32Array(0),
    cellOfRow: new Int32Array(0),
    positions: new Int32Array(0),
    vTrans: false,
    nLayer: 0,
    layers: [],
  };
}
