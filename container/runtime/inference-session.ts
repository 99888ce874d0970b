/**
 * The runtime-neutral session interface the engine depends on. Only `onnx-backend.ts`
 * knows onnxruntime; everything else (loader, generation loop, tests) sees these types.
 */

export type TensorElementType = "float32" | "float16" | "int64" | "int32";

/** A plain CPU tensor: typed-array data in row-major order. float16 data is raw bits. */
export type EngineTensor =
  | { type: "float32"; dims: readonly number[]; data: Float32Array }
  | { type: "float16"; dims: readonly number[]; data: Uint16Array }
  | { type: "int64"; dims: readonly number[]; data: BigInt64Array }
  | { type: "int32"; dims: readonly number[]; data: Int32Array };

export type ExecutionProvider = "cpu" | "cuda" | "wasm";

export interface SessionInputInfo {
  name: string;
  type: string;
  /** Symbolic dims are strings; unknown dims are -1. */
  dims: readonly (number | string)[];
}

export interface InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputs: readonly SessionInputInfo[];
  readonly executionProvider: ExecutionProvider;
  /**
   * Runs the graph. `bound` names outputs to write into the given tensors (a tensor may be the very one fed as an
   * input: the fast graph then updates its KV cache in place); every other output comes back as a new tensor.
   */
  run(feeds: Readonly<Record<string, EngineTensor>>, bound?: Readonly<Record<string, EngineTensor>>): Promise<Record<string, EngineTensor>>;
  release(): Promise<void>;
}

export interface SessionOptions {
  executionProvider: ExecutionProvider;
  /** Intra-op threads; 0 lets the runtime decide. */
  threads?: number;
}

export function float32Tensor(data: Float32Array, dims: readonly number[]): EngineTensor {
  return { type: "float32", data, dims };
}

export function int32Tensor(values: readonly number[], dims: readonly number[]): EngineTensor {
  return { type: "int32", data: Int32Array.from(values), dims };
}

export function int64Tensor(values: readonly (number | bigint)[], dims: readonly number[]): EngineTensor {
  return { type: "int64", data: BigInt64Array.from(values, (value) => BigInt(value)), dims };
}
