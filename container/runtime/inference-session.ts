/**
 * The runtime-neutral session interfaces the engine depends on. Only `container/runtime/` knows ONNX
 * Runtime; everything else (loader, generation loop, tests) sees these types. `InferenceSession` runs on
 * plain host tensors; `BindingSession` (the native layer) adds memory on the session's device, tensor views
 * over it at an offset, and bindings that reuse them step after step without copying.
 */

export type TensorElementType = "float32" | "float16" | "int64" | "int32";

/** A plain CPU tensor: typed-array data in row-major order. float16 data is raw bits. */
export type EngineTensor =
  | { type: "float32"; dims: readonly number[]; data: Float32Array }
  | { type: "float16"; dims: readonly number[]; data: Uint16Array }
  | { type: "int64"; dims: readonly number[]; data: BigInt64Array }
  | { type: "int32"; dims: readonly number[]; data: Int32Array };

/** The typed array that holds each element type (float16 as raw bits). */
export interface TypedArrayOf {
  float32: Float32Array;
  float16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
}

export const ELEMENT_BYTES: Readonly<Record<TensorElementType, number>> = { float32: 4, float16: 2, int64: 8, int32: 4 };

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

/** Where a session's tensors live: host memory (cpu provider) or the GPU (cuda). */
export type MemoryLocation = "cpu" | "cuda";

/** Memory allocated once on the session's device (the KV pool), freed by `release`. */
export interface DeviceMemory {
  readonly byteLength: number;
  readonly location: MemoryLocation;
  release(): void;
}

/** A tensor over existing memory (device or host) at an offset: bound in place, never copied. */
export interface TensorView {
  readonly type: TensorElementType;
  readonly dims: readonly number[];
  release(): void;
}

/** Native host memory at a stable address: write `data`, then bind a view of its first elements. */
export interface HostBuffer<T extends TensorElementType = TensorElementType> {
  readonly type: T;
  readonly data: TypedArrayOf[T];
  /** A view of the first product(dims) elements; views are cached per shape and released with the buffer. */
  view(dims: readonly number[]): TensorView;
  release(): void;
}

/**
 * Named inputs/outputs bound to tensor views; `run` executes the session on them. A host input bound to a
 * cuda session is copied to the device when bound, so bind host inputs after writing them. An output bound
 * to the same view as an input (the KV cache) is updated in place.
 */
export interface StepBinding {
  bindInput(name: string, view: TensorView): void;
  bindOutput(name: string, view: TensorView): void;
  run(): Promise<void>;
  release(): void;
}

/** A session of the native layer: everything `InferenceSession` does, plus in-place I/O. */
export interface BindingSession extends InferenceSession {
  readonly location: MemoryLocation;
  /** Allocate `byteLength` bytes where the session computes (throws a clear error when it does not fit). */
  allocate(byteLength: number): DeviceMemory;
  view(memory: DeviceMemory, byteOffset: number, type: TensorElementType, dims: readonly number[]): TensorView;
  hostBuffer<T extends TensorElementType>(type: T, length: number): HostBuffer<T>;
  /** A view over a JS tensor's own memory (no copy); keep the tensor referenced until the view is released. */
  hostView(tensor: EngineTensor): TensorView;
  createBinding(): StepBinding;
  /** Free and total bytes where the session computes (GPU memory under cuda, host memory under cpu); null if unknown. */
  memoryInfo(): { free: number; total: number } | null;
}

export function isBindingSession(session: InferenceSession): session is BindingSession {
  return "createBinding" in session && typeof session.createBinding === "function";
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
