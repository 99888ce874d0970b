/**
 * A session of the native layer: ONNX Runtime's C API through koffi, on the cpu or the CUDA provider. It runs
 * plain host tensors like onnxruntime-node does (`run`), and also binds inputs and outputs in place
 * (`createBinding`) over memory it allocates on its device (`allocate`), so a KV cache can stay where the
 * model computes and be updated there, step after step.
 */
import {
  type BindingSession,
  type DeviceMemory,
  ELEMENT_BYTES,
  type EngineTensor,
  type ExecutionProvider,
  type HostBuffer,
  type MemoryLocation,
  type SessionInputInfo,
  type StepBinding,
  type TensorElementType,
  type TensorView,
} from "./inference-session";
import { appendCudaProvider } from "./cuda-provider";
import { cudaMemoryInfo, hostMemoryInfo } from "./device-memory-info";
import { NativeBinding } from "./native-binding";
import { createTensorView, liveNativeObjects, NativeDeviceMemory, NativeHostBuffer, type NativeTensorView } from "./native-memory";
import { ONNX_ELEMENT_TYPE, ONNX_TYPE_TENSOR, ORT_DEVICE_ALLOCATOR, ORT_DISABLE_ALL, ORT_ENABLE_ALL, ORT_MEM_TYPE_DEFAULT } from "./ort-api-table";
import type { OrtLibrary, Pointer } from "./ort-library";

export interface NativeSessionOptions {
  executionProvider: "cpu" | "cuda";
  /** Intra-op threads; 0 lets ORT decide. */
  threads?: number;
  cudaDeviceId?: number;
  /** "none" turns graph optimizations off (small helper graphs that must run exactly as written). */
  optimization?: "all" | "none";
}

const TYPE_NAMES = new Map<number, TensorElementType>(Object.entries(ONNX_ELEMENT_TYPE).map(([name, code]) => [code, name as TensorElementType]));

function createSessionOptions(ort: OrtLibrary, options: NativeSessionOptions): Pointer {
  const sessionOptions = ort.out("CreateSessionOptions");
  try {
    ort.check(
      "SetSessionGraphOptimizationLevel",
      ort.api.SetSessionGraphOptimizationLevel(sessionOptions, options.optimization === "none" ? ORT_DISABLE_ALL : ORT_ENABLE_ALL),
    );
    if (options.threads) ort.check("SetIntraOpNumThreads", ort.api.SetIntraOpNumThreads(sessionOptions, options.threads));
    if (options.executionProvider === "cuda") appendCudaProvider(ort, sessionOptions, options.cudaDeviceId ?? 0);
    return sessionOptions;
  } catch (error) {
    ort.api.ReleaseSessionOptions(sessionOptions);
    throw error;
  }
}

function readString(ort: OrtLibrary, pointer: Pointer): string {
  const text = ort.koffi.decode.string(pointer);
  ort.check("AllocatorFree", ort.api.AllocatorFree(ort.cpuAllocator, pointer));
  return text;
}

function describe(ort: OrtLibrary, typeInfo: Pointer, name: string): SessionInputInfo {
  try {
    if (ort.out<number>("GetOnnxTypeFromTypeInfo", typeInfo) !== ONNX_TYPE_TENSOR) return { name, type: "non-tensor", dims: [] };
    const info = ort.out("CastTypeInfoToTensorInfo", typeInfo);
    const code = ort.out<number>("GetTensorElementType", info);
    const rank = Number(ort.out<number | bigint>("GetDimensionsCount", info));
    const values = new BigInt64Array(rank);
    ort.check("GetDimensions", ort.api.GetDimensions(info, values, rank));
    const symbols = new BigUint64Array(rank);
    ort.check("GetSymbolicDimensions", ort.api.GetSymbolicDimensions(info, symbols, rank));
    const dims = [...values].map((value, index) => {
      const symbol = symbols[index] ? ort.koffi.decode.string(symbols[index]) : "";
      return symbol !== "" ? symbol : Number(value);
    });
    return { name, type: TYPE_NAMES.get(code) ?? `onnx-type-${code}`, dims };
  } finally {
    ort.api.ReleaseTypeInfo(typeInfo);
  }
}

function describeAll(ort: OrtLibrary, session: Pointer, side: "Input" | "Output"): SessionInputInfo[] {
  const count = Number(ort.out<number | bigint>(`SessionGet${side}Count`, session));
  return Array.from({ length: count }, (_, index) => {
    const name = readString(ort, ort.out(`SessionGet${side}Name`, session, index, ort.cpuAllocator));
    return describe(ort, ort.out(`SessionGet${side}TypeInfo`, session, index), name);
  });
}

function callAsync(ort: OrtLibrary, name: "CreateSession" | "CreateSessionFromArray" | "Run", args: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    ort.api[name].async(...args, (error: unknown, status: Pointer | null) => {
      try {
        if (error) throw error;
        ort.check(name, status);
        resolve();
      } catch (failure) {
        reject(failure);
      }
    });
  });
}

/** Copy an ORT-owned output tensor into JS memory, then release it. */
function takeOutput(ort: OrtLibrary, name: string, value: Pointer): EngineTensor {
  try {
    const info = ort.out("GetTensorTypeAndShape", value);
    let type: TensorElementType | undefined;
    let dims: number[];
    try {
      type = TYPE_NAMES.get(ort.out<number>("GetTensorElementType", info));
      const rank = Number(ort.out<number | bigint>("GetDimensionsCount", info));
      const values = new BigInt64Array(rank);
      ort.check("GetDimensions", ort.api.GetDimensions(info, values, rank));
      dims = [...values].map(Number);
    } finally {
      ort.api.ReleaseTensorTypeAndShapeInfo(info);
    }
    if (!type) throw new Error(`output ${name}: unsupported tensor type`);
    const count = dims.reduce((product, dim) => product * dim, 1);
    const bytes = count * ELEMENT_BYTES[type];
    const copy = bytes === 0 ? new ArrayBuffer(0) : ort.koffi.view(ort.out("GetTensorMutableData", value), bytes).slice(0);
    if (type === "float32") return { type, dims, data: new Float32Array(copy) };
    if (type === "float16") return { type, dims, data: new Uint16Array(copy) };
    if (type === "int64") return { type, dims, data: new BigInt64Array(copy) };
    return { type, dims, data: new Int32Array(copy) };
  } finally {
    ort.api.ReleaseValue(value);
  }
}

const EMPTY = new Float64Array(1);

export class NativeSession implements BindingSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly location: MemoryLocation;
  private released = false;
  private readonly memories = new Set<DeviceMemory>();
  /** Runs in flight on koffi's worker threads: `release` waits for them before freeing the session. */
  private readonly inflight = new Set<Promise<unknown>>();

  private constructor(
    private readonly ort: OrtLibrary,
    private readonly session: Pointer,
    readonly inputs: readonly SessionInputInfo[],
    readonly outputs: readonly SessionInputInfo[],
    readonly executionProvider: ExecutionProvider,
    private readonly deviceAllocator: Pointer,
    private readonly deviceMemoryInfo: Pointer,
    private readonly cudaDeviceId: number,
  ) {
    this.inputNames = inputs.map((input) => input.name);
    this.outputNames = outputs.map((output) => output.name);
    this.location = executionProvider === "cuda" ? "cuda" : "cpu";
    liveNativeObjects.sessions += 1;
  }

  /**
   * @example
   *   const session = await NativeSession.create(loadOrtLibrary(), "model/onnx/model.onnx", { executionProvider: "cpu" });
   */
  static async create(ort: OrtLibrary, model: string | Uint8Array, options: NativeSessionOptions): Promise<NativeSession> {
    const sessionOptions = createSessionOptions(ort, options);
    const slot: unknown[] = [null];
    try {
      if (typeof model === "string") await callAsync(ort, "CreateSession", [ort.env, model, sessionOptions, slot]);
      else {
        // The bytes go to native memory first: V8 may move a JS buffer while ORT parses it on another thread.
        const copy = new NativeHostBuffer(ort, "float16", Math.ceil(model.byteLength / 2));
        try {
          new Uint8Array(copy.data.buffer, copy.data.byteOffset, model.byteLength).set(model);
          await callAsync(ort, "CreateSessionFromArray", [ort.env, copy.address, model.byteLength, sessionOptions, slot]);
        } finally {
          copy.release();
        }
      }
    } finally {
      ort.api.ReleaseSessionOptions(sessionOptions);
    }
    const session = slot[0] as Pointer;
    let deviceMemoryInfo = ort.cpuMemoryInfo;
    let deviceAllocator = ort.cpuAllocator;
    try {
      if (options.executionProvider === "cuda") {
        deviceMemoryInfo = ort.out("CreateMemoryInfo", "Cuda", ORT_DEVICE_ALLOCATOR, options.cudaDeviceId ?? 0, ORT_MEM_TYPE_DEFAULT);
        deviceAllocator = ort.out("CreateAllocator", session, deviceMemoryInfo);
      }
      return new NativeSession(
        ort,
        session,
        describeAll(ort, session, "Input"),
        describeAll(ort, session, "Output"),
        options.executionProvider,
        deviceAllocator,
        deviceMemoryInfo,
        options.cudaDeviceId ?? 0,
      );
    } catch (error) {
      if (deviceMemoryInfo !== ort.cpuMemoryInfo) ort.api.ReleaseMemoryInfo(deviceMemoryInfo);
      ort.api.ReleaseSession(session);
      throw error;
    }
  }

  run(feeds: Readonly<Record<string, EngineTensor>>, bound?: Readonly<Record<string, EngineTensor>>): Promise<Record<string, EngineTensor>> {
    if (this.released) return Promise.reject(new Error("run on a released session"));
    return this.track(this.runFeeds(feeds, bound ?? {}));
  }

  hostView(tensor: EngineTensor): TensorView {
    return this.wrap(tensor);
  }

  memoryInfo(): { free: number; total: number } | null {
    return this.location === "cuda" ? cudaMemoryInfo(this.ort.koffi, this.cudaDeviceId) : hostMemoryInfo();
  }

  /** An OrtValue over a JS tensor's own memory (no copy). */
  private wrap(tensor: EngineTensor): NativeTensorView {
    // Reading `.buffer` moves a small typed array's data off V8's heap, so its address stays put while ORT
    // reads it on another thread; the caller keeps the tensor referenced until the run ends. An empty tensor
    // still needs a non-null data pointer.
    const data = tensor.data.byteLength === 0 ? EMPTY : tensor.data;
    void data.buffer;
    return createTensorView(this.ort, this.ort.cpuMemoryInfo, this.ort.koffi.address(data), tensor.type, tensor.dims);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inflight.add(promise);
    const forget = (): void => {
      this.inflight.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }

  /** Outputs named in `bound` are written into those tensors (in place when one is also an input). */
  private async runFeeds(feeds: Readonly<Record<string, EngineTensor>>, bound: Readonly<Record<string, EngineTensor>>): Promise<Record<string, EngineTensor>> {
    const names = Object.keys(feeds);
    const views: NativeTensorView[] = [];
    try {
      const inputPointers = names.map((name) => {
        const view = this.wrap(feeds[name] as EngineTensor);
        views.push(view);
        return view.pointer;
      });
      const outputs: (Pointer | null)[] = this.outputNames.map((name) => {
        const target = bound[name];
        if (!target) return null;
        const view = this.wrap(target);
        views.push(view);
        return view.pointer;
      });
      await callAsync(this.ort, "Run", [this.session, null, names, inputPointers, names.length, this.outputNames, this.outputNames.length, outputs]);
      const results: Record<string, EngineTensor> = {};
      this.outputNames.forEach((name, index) => {
        const value = outputs[index];
        if (value && !bound[name]) results[name] = takeOutput(this.ort, name, value);
      });
      return results;
    } finally {
      for (const view of views) view.release();
    }
  }

  allocate(byteLength: number): DeviceMemory {
    const memory = NativeDeviceMemory.allocate(this.ort, this.deviceAllocator, byteLength, this.location, this.deviceMemoryInfo);
    this.memories.add(memory);
    return memory;
  }

  view(memory: DeviceMemory, byteOffset: number, type: TensorElementType, dims: readonly number[]): TensorView {
    if (!(memory instanceof NativeDeviceMemory)) throw new Error("a view needs memory allocated by the native layer");
    return memory.view(byteOffset, type, dims);
  }

  hostBuffer<T extends TensorElementType>(type: T, length: number): HostBuffer<T> {
    return new NativeHostBuffer(this.ort, type, length);
  }

  createBinding(): StepBinding {
    if (this.released) throw new Error("binding on a released session");
    return new NativeBinding(this.ort, this.session, null, (run) => this.track(run));
  }

  /** Frees what `allocate` handed out and not yet released, then the session. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    for (const memory of this.memories) memory.release();
    this.memories.clear();
    if (this.deviceAllocator !== this.ort.cpuAllocator) this.ort.api.ReleaseAllocator(this.deviceAllocator);
    if (this.deviceMemoryInfo !== this.ort.cpuMemoryInfo) this.ort.api.ReleaseMemoryInfo(this.deviceMemoryInfo);
    this.ort.api.ReleaseSession(this.session);
    liveNativeObjects.sessions -= 1;
  }
}

export { liveNativeObjects };
