/**
 * Shared GGUF v3 constants and value types.
 * Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
 */

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** On-disk metadata value type ids. */
export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** Scalar type names used by the typed metadata API. */
export type GgufScalarTypeName = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "u64" | "i64" | "f32" | "f64" | "bool" | "string";

export const SCALAR_TYPE_IDS: Record<GgufScalarTypeName, GgufValueType> = {
  u8: GgufValueType.UINT8,
  i8: GgufValueType.INT8,
  u16: GgufValueType.UINT16,
  i16: GgufValueType.INT16,
  u32: GgufValueType.UINT32,
  i32: GgufValueType.INT32,
  u64: GgufValueType.UINT64,
  i64: GgufValueType.INT64,
  f32: GgufValueType.FLOAT32,
  f64: GgufValueType.FLOAT64,
  bool: GgufValueType.BOOL,
  string: GgufValueType.STRING,
};

/**
 * A metadata value with an explicit on-disk type. llama.cpp checks the stored type of
 * many keys strictly (e.g. `llama.context_length` must be u32), so numbers always carry one.
 */
export type GgufTypedValue =
  | {type: "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32" | "f64"; value: number}
  | {type: "u64" | "i64"; value: number | bigint}
  | {type: "bool"; value: boolean}
  | {type: "string"; value: string}
  | {type: "array"; itemType: GgufScalarTypeName; value: ReadonlyArray<number | bigint | boolean | string> | ArrayLike<number>};

/** Convenience: plain strings, booleans and string arrays need no type tag. */
export type GgufMetadataInput = GgufTypedValue | string | boolean | readonly string[];

/** Helpers that build typed metadata values, e.g. `gguf.u32(2048)`. */
export const gguf = {
  u8: (value: number): GgufTypedValue => ({type: "u8", value}),
  i8: (value: number): GgufTypedValue => ({type: "i8", value}),
  u16: (value: number): GgufTypedValue => ({type: "u16", value}),
  i16: (value: number): GgufTypedValue => ({type: "i16", value}),
  u32: (value: number): GgufTypedValue => ({type: "u32", value}),
  i32: (value: number): GgufTypedValue => ({type: "i32", value}),
  u64: (value: number | bigint): GgufTypedValue => ({type: "u64", value}),
  i64: (value: number | bigint): GgufTypedValue => ({type: "i64", value}),
  f32: (value: number): GgufTypedValue => ({type: "f32", value}),
  f64: (value: number): GgufTypedValue => ({type: "f64", value}),
  bool: (value: boolean): GgufTypedValue => ({type: "bool", value}),
  str: (value: string): GgufTypedValue => ({type: "string", value}),
  array: (itemType: GgufScalarTypeName, value: ReadonlyArray<number | bigint | boolean | string> | ArrayLike<number>): GgufTypedValue => ({
    type: "array",
    itemType,
    value,
  }),
};

/** ggml tensor type ids (subset) with their block layout, used for size checks. */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  BF16 = 30,
}

/** [elements per block, bytes per block] for the types whose size we can check. */
export const GGML_BLOCK_LAYOUT: Partial<Record<number, [number, number]>> = {
  [GgmlType.F32]: [1, 4],
  [GgmlType.F16]: [1, 2],
  [GgmlType.Q4_0]: [32, 18],
  [GgmlType.Q4_1]: [32, 20],
  [GgmlType.Q5_0]: [32, 22],
  [GgmlType.Q5_1]: [32, 24],
  [GgmlType.Q8_0]: [32, 34],
  [GgmlType.Q8_1]: [32, 36],
  [GgmlType.Q2_K]: [256, 84],
  [GgmlType.Q3_K]: [256, 110],
  [GgmlType.Q4_K]: [256, 144],
  [GgmlType.Q5_K]: [256, 176],
  [GgmlType.Q6_K]: [256, 210],
  [GgmlType.Q8_K]: [256, 292],
  [GgmlType.I8]: [1, 1],
  [GgmlType.I16]: [1, 2],
  [GgmlType.I32]: [1, 4],
  [GgmlType.I64]: [1, 8],
  [GgmlType.F64]: [1, 8],
  [GgmlType.BF16]: [1, 2],
};

/** Byte size of a tensor of `elementCount` elements, or undefined for unknown types. */
export function ggmlTensorBytes(type: number, elementCount: number): number | undefined {
  const layout = GGML_BLOCK_LAYOUT[type];
  if (!layout) return undefined;
  const [blockElements, blockBytes] = layout;
  return Math.ceil(elementCount / blockElements) * blockBytes;
}

/** SentencePiece token types as stored in `tokenizer.ggml.token_type`. */
export enum LlamaTokenType {
  NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  USER_DEFINED = 4,
  UNUSED = 5,
  BYTE = 6,
}
