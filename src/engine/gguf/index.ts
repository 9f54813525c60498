/** GGUF v3 writer and header validator (see ggufWriter.ts / ggufHeader.ts). */
export {encodeGguf, writeGguf} from "./ggufWriter";
export type {GgufTensorInput, GgufWriteInput} from "./ggufWriter";
export {GgufFormatError, readGgufHeader, validateGgufFile} from "./ggufHeader";
export type {GgufHeaderInfo, GgufMetadataValue, GgufTensorInfo, GgufValidation} from "./ggufHeader";
export {GgmlType, GgufValueType, LlamaTokenType, gguf, ggmlTensorBytes} from "./ggufTypes";
export type {GgufMetadataInput, GgufScalarTypeName, GgufTypedValue} from "./ggufTypes";
export {float16BitsToFloat32, float32ToFloat16Bits, toFloat16Array} from "./float16";
