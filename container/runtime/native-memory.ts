/**
 * Memory and tensor values of the native layer: device memory from a session's allocator (CUDA, or ORT's CPU
 * allocator on the cpu provider), OrtValues over that memory at a byte offset (slot views of the KV pool),
 * and host buffers at a stable native address that JS writes through a typed-array view. Every object is
 * released exactly once; releasing twice is a no-op.
 */
import { ONNX_ELEMENT_TYPE } from "./ort-api-table";
import type { OrtLibrary, Pointer } from "./ort-library";
import {
  type DeviceMemory,
  ELEMENT_BYTES,
  type HostBuffer,
  type MemoryLocation,
  type TensorElementType,
  type TensorView,
  type TypedArrayOf,
} from "./inference-session";

/** Objects still alive (tests check that a bounded loop returns this to where it started). */
export const liveNativeObjects = { sessions: 0, values: 0, memories: 0, bindings: 0 };

function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const dim of dims) count *= dim;
  return count;
}

/** An OrtValue (tensor) over memory the caller owns. */
export class NativeTensorView implements TensorView {
  private released = false;
  constructor(
    private readonly ort: OrtLibrary,
    readonly pointer: Pointer,
    readonly type: TensorElementType,
    readonly dims: readonly number[],
  ) {
    liveNativeObjects.values += 1;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.ort.api.ReleaseValue(this.pointer);
    liveNativeObjects.values -= 1;
  }
}

/** Wrap `dims`-shaped `type` data at `address` (described by `memoryInfo`) as an OrtValue, without copying. */
export function createTensorView(ort: OrtLibrary, memoryInfo: Pointer, address: Pointer, type: TensorElementType, dims: readonly number[]): NativeTensorView {
  const byteLength = elementCount(dims) * ELEMENT_BYTES[type];
  const shape = BigInt64Array.from(dims, (dim) => BigInt(dim));
  const value = ort.out("CreateTensorWithDataAsOrtValue", memoryInfo, address, byteLength, shape, dims.length, ONNX_ELEMENT_TYPE[type]);
  return new NativeTensorView(ort, value, type, dims);
}

/** A block from an OrtAllocator: the KV pool on the device (or on the host for the cpu provider). */
export class NativeDeviceMemory implements DeviceMemory {
  private released = false;
  constructor(
    private readonly ort: OrtLibrary,
    private readonly allocator: Pointer,
    readonly address: Pointer,
    readonly byteLength: number,
    readonly location: MemoryLocation,
    /** OrtMemoryInfo describing where `address` points. */
    readonly memoryInfo: Pointer,
  ) {
    liveNativeObjects.memories += 1;
  }

  static allocate(ort: OrtLibrary, allocator: Pointer, byteLength: number, location: MemoryLocation, memoryInfo: Pointer): NativeDeviceMemory {
    let address: Pointer | null;
    try {
      address = ort.out<Pointer | null>("AllocatorAlloc", allocator, Math.max(1, byteLength));
    } catch (error) {
      throw new Error(`cannot allocate ${(byteLength / 2 ** 20).toFixed(1)} MiB on ${location}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!address) throw new Error(`cannot allocate ${(byteLength / 2 ** 20).toFixed(1)} MiB on ${location}: the allocator returned NULL`);
    return new NativeDeviceMemory(ort, allocator, address, byteLength, location, memoryInfo);
  }

  /** A tensor over `dims` elements of `type` starting `byteOffset` bytes in. */
  view(byteOffset: number, type: TensorElementType, dims: readonly number[]): NativeTensorView {
    const byteLength = elementCount(dims) * ELEMENT_BYTES[type];
    if (this.released) throw new Error("view of released memory");
    if (byteOffset < 0 || byteOffset + byteLength > this.byteLength)
      throw new Error(`view [${byteOffset}, ${byteOffset + byteLength}) outside a ${this.byteLength}-byte block`);
    return createTensorView(this.ort, this.memoryInfo, this.address + BigInt(byteOffset), type, dims);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.ort.check("AllocatorFree", this.ort.api.AllocatorFree(this.allocator, this.address));
    liveNativeObjects.memories -= 1;
  }
}

function typedArrayOver<T extends TensorElementType>(type: T, buffer: ArrayBuffer, length: number): TypedArrayOf[T] {
  const arrays: { [K in TensorElementType]: () => TypedArrayOf[K] } = {
    float32: () => new Float32Array(buffer, 0, length),
    float16: () => new Uint16Array(buffer, 0, length),
    int64: () => new BigInt64Array(buffer, 0, length),
    int32: () => new Int32Array(buffer, 0, length),
  };
  return arrays[type]() as TypedArrayOf[T];
}

/** Host memory from ORT's CPU allocator, written and read by JS in place. */
export class NativeHostBuffer<T extends TensorElementType> implements HostBuffer<T> {
  readonly data: TypedArrayOf[T];
  private readonly memory: NativeDeviceMemory;
  private readonly views = new Map<string, NativeTensorView>();

  constructor(
    private readonly ort: OrtLibrary,
    readonly type: T,
    readonly length: number,
  ) {
    const byteLength = Math.max(1, length) * ELEMENT_BYTES[type];
    this.memory = NativeDeviceMemory.allocate(ort, ort.cpuAllocator, byteLength, "cpu", ort.cpuMemoryInfo);
    this.data = typedArrayOver(type, ort.koffi.view(this.memory.address, byteLength), length);
  }

  /** Where `data` starts in native memory. */
  get address(): Pointer {
    return this.memory.address;
  }

  view(dims: readonly number[]): TensorView {
    const key = dims.join(",");
    let view = this.views.get(key);
    if (!view) {
      if (elementCount(dims) > this.length) throw new Error(`a [${key}] view of a ${this.length}-element host buffer`);
      view = createTensorView(this.ort, this.ort.cpuMemoryInfo, this.memory.address, this.type, dims);
      this.views.set(key, view);
    }
    return view;
  }

  release(): void {
    for (const view of this.views.values()) view.release();
    this.views.clear();
    this.memory.release();
  }
}
