import {DynSplitInputError} from "../errors";
import {METHOD_NAMES, type CompressionMethod, type MethodName} from "../types";
import {ChunkKvMethod, type ChunkKvOptions} from "./chunkkv";
import {DelimiterMethod, type DelimiterOptions} from "./delimiter";
import {DynSplitMethod, type DynSplitOptions} from "./dynsplit";
import {FullMethod} from "./full";
import {RandomMethod, type RandomOptions} from "./random";
import {SnapKvMethod, type SnapKvOptions} from "./snapkv";
import {StreamingMethod} from "./streaming";

/** Every method's options in one bag; each method reads the fields it knows. */
export type MethodOptions = DynSplitOptions & ChunkKvOptions & DelimiterOptions & SnapKvOptions & RandomOptions;

export function isMethodName(name: string): name is MethodName {
  return (METHOD_NAMES as readonly string[]).includes(name);
}

export function createMethod(name: string, options: MethodOptions = {}): CompressionMethod {
  if (!isMethodName(name)) throw new DynSplitInputError(`unknown method "${name}"; choose one of ${METHOD_NAMES.join(", ")}`);
  switch (name) {
    case "dynsplit":
      return new DynSplitMethod(options);
    case "full":
      return new FullMethod();
    case "streaming":
      return new StreamingMethod(options);
    case "chunkkv":
      return new ChunkKvMethod(options);
    case "delimiter":
      return new DelimiterMethod(options);
    case "snapkv":
      return new SnapKvMethod(options);
    case "random":
      return new RandomMethod(options);
  }
}
