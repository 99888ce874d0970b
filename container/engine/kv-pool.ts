/**
 * The KV pool of the fast graph on the native runtime: per layer one key and one value buffer
 * [slots, kvHeads, capacity, headDim], allocated once where the model computes (GPU memory under CUDA) and never
 * moved. A sequence holds one slot from admission to its end; rows of a run are views of consecutive slots at a
 * byte offset, bound as past and present at once, so ONNX Runtime appends new keys and values in place. Joining or
 * leaving is taking or returning a slot number: no cache is copied. Prompt prefixes move to and from host memory
 * (the prefix cache) through the transfer graphs.
 */
import type { LlamaDims } from "../model/llama-dims";
import type { BindingSession, DeviceMemory, EngineTensor, StepBinding, TensorView } from "../runtime/inference-session";
import { HostKvPrefix, type PrefixKvType } from "./host-kv-prefix";
import { buildExtractGraph, buildRestoreGraph, buildZeroGraph, type TransferShape } from "./kv-transfer-graphs";

export interface KvPoolSpec {
  dims: LlamaDims;
  kvType: PrefixKvType;
  slots: number;
  /** Positions per slot (the longest sequence a slot holds). */
  capacity: number;
}

/** Opens a helper session on the decoder's runtime (graph optimizations off: they must run as written). */
export type TransferSessionFactory = (model: Uint8Array) => Promise<BindingSession>;

interface RangeViews {
  views: TensorView[];
}

export class KvPool {
  /** Cached tokens per slot. */
  readonly lengths: number[];
  private readonly free: boolean[];
  private readonly rangeViews = new Map<string, RangeViews>();
  private released = false;

  private constructor(
    readonly spec: KvPoolSpec,
    private readonly decoder: BindingSession,
    private readonly buffers: readonly DeviceMemory[],
    private readonly transfer: { extract: BindingSession; restore: BindingSession; zero: BindingSession },
  ) {
    this.lengths = new Array<number>(spec.slots).fill(0);
    this.free = new Array<boolean>(spec.slots).fill(true);
  }

  /** Bytes the pool holds: slots × capacity × bytes per token. */
  static bytesFor(dims: LlamaDims, kvType: PrefixKvType, slots: number, capacity: number): number {
    return slots * capacity * dims.numLayers * 2 * dims.numKvHeads * dims.headDim * (kvType === "float32" ? 4 : 2);
  }

  static async create(decoder: BindingSession, spec: KvPoolSpec, openTransfer: TransferSessionFactory): Promise<KvPool> {
    const { dims, kvType, slots, capacity } = spec;
    const shape: TransferShape = { buffers: dims.numLayers * 2, kvHeads: dims.numKvHeads, capacity, headDim: dims.headDim, type: kvType };
    const bufferBytes = KvPool.bytesFor(dims, kvType, slots, capacity) / shape.buffers;
    const buffers: DeviceMemory[] = [];
    const sessions: BindingSession[] = [];
    try {
      for (let index = 0; index < shape.buffers; index++) buffers.push(decoder.allocate(bufferBytes));
      for (const graph of [buildExtractGraph(shape), buildRestoreGraph(shape), buildZeroGraph(shape)]) sessions.push(await openTransfer(graph));
      const [extract, restore, zero] = sessions as [BindingSession, BindingSession, BindingSession];
      const pool = new KvPool(spec, decoder, buffers, { extract, restore, zero });
      await pool.zeroAll();
      return pool;
    } catch (error) {
      for (const buffer of buffers) buffer.release();
      for (const session of sessions) await session.release();
      throw error;
    }
  }

  get slots(): number {
    return this.spec.slots;
  }

  get freeSlots(): number {
    return this.free.filter(Boolean).length;
  }

  /** The lowest free slot (keeping busy slots packed at the front, where decode runs read them), or null. */
  acquire(): number | null {
    const slot = this.free.indexOf(true);
    if (slot === -1) return null;
    this.free[slot] = false;
    this.lengths[slot] = 0;
    return slot;
  }

  /** Give a slot back; its stale contents are overwritten by whoever takes it next. */
  releaseSlot(slot: number): void {
    this.free[slot] = true;
    this.lengths[slot] = 0;
  }

  isFree(slot: number): boolean {
    return this.free[slot] === true;
  }

  /** 2 × layers views over slots [first, first + count), cached for the life of the pool. */
  views(first: number, count: number): readonly TensorView[] {
    const key = `${first}:${count}`;
    let entry = this.rangeViews.get(key);
    if (!entry) {
      const { dims, kvType, capacity } = this.spec;
      const slotBytes = KvPool.bytesFor(dims, kvType, 1, capacity) / (dims.numLayers * 2);
      const shape = [count, dims.numKvHeads, capacity, dims.headDim];
      entry = { views: this.buffers.map((buffer) => this.decoder.view(buffer, first * slotBytes, kvType, shape)) };
      this.rangeViews.set(key, entry);
    }
    return entry.views;
  }

  /** Bind slots [first, first + count) as past_key_values.* and present.* of the decoder. */
  bind(binding: StepBinding, first: number, count: number, names: readonly { past: string; present: string }[]): void {
    this.views(first, count).forEach((view, index) => {
      const name = names[index];
      if (!name) return;
      binding.bindInput(name.past, view);
      binding.bindOutput(name.present, view);
    });
  }

  /** The first `length` cached positions of `slot`, copied to host memory. */
  async extract(slot: number, length: number): Promise<HostKvPrefix> {
    const prefix = HostKvPrefix.allocate(this.spec.dims, this.spec.kvType, length);
    const lengthTensor: EngineTensor = { type: "int64", data: BigInt64Array.of(BigInt(length)), dims: [1] };
    await this.runTransfer(this.transfer.extract, (binding, hostViews) => {
      binding.bindInput("length", hostViews(lengthTensor));
      this.views(slot, 1).forEach((view, index) => {
        binding.bindInput(`slot.${index}`, view);
        binding.bindOutput(`prefix.${index}`, hostViews(prefix.buffers[index] as EngineTensor));
      });
    });
    return prefix;
  }

  /** Write `prefix` into `slot` (zeros after it) and set the slot's length. */
  async restore(slot: number, prefix: HostKvPrefix): Promise<void> {
    const pads: EngineTensor = { type: "int64", data: BigInt64Array.from([0, 0, 0, 0, 0, 0, this.spec.capacity - prefix.length, 0], BigInt), dims: [8] };
    await this.runTransfer(this.transfer.restore, (binding, hostViews) => {
      binding.bindInput("pads", hostViews(pads));
      this.views(slot, 1).forEach((view, index) => {
        binding.bindInput(`prefix.${index}`, hostViews(prefix.buffers[index] as EngineTensor));
        binding.bindOutput(`slot.${index}`, view);
      });
    });
    this.lengths[slot] = prefix.length;
  }

  private async zeroAll(): Promise<void> {
    const { dims, slots, capacity } = this.spec;
    const shape: EngineTensor = { type: "int64", data: BigInt64Array.from([slots, dims.numKvHeads, capacity, dims.headDim], BigInt), dims: [4] };
    await this.runTransfer(this.transfer.zero, (binding, hostViews) => {
      binding.bindInput("shape", hostViews(shape));
      this.views(0, slots).forEach((view, index) => {
        binding.bindOutput(`zeros.${index}`, view);
      });
    });
  }

  /** One run of a transfer graph; host tensors are wrapped for the run and released after it. */
  private async runTransfer(session: BindingSession, bind: (binding: StepBinding, hostViews: (tensor: EngineTensor) => TensorView) => void): Promise<void> {
    const binding = session.createBinding();
    const wrapped: TensorView[] = [];
    try {
      bind(binding, (tensor) => {
        const view = session.hostView(tensor);
        wrapped.push(view);
        return view;
      });
      await binding.run();
    } finally {
      binding.release();
      for (const view of wrapped) view.release();
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    for (const entry of this.rangeViews.values()) for (const view of entry.views) view.release();
    this.rangeViews.clear();
    for (const buffer of this.buffers) buffer.release();
    await Promise.all([this.transfer.extract.release(), this.transfer.restore.release(), this.transfer.zero.release()]);
  }
}
