/**
 * How many sequences the KV pool holds: each slot keeps `capacity` positions (the context length), and the pool
 * takes a fraction of the memory that is free where the model computes once its weights are loaded (GPU memory
 * under CUDA, available host memory under cpu), or an explicit size. The rest stays for activations and ONNX
 * Runtime's workspace. Reserving the whole pool at start is what makes admission control exact: a request that
 * finds no free slot waits (or gets 429 when the queue is full); nothing is allocated per request.
 */
import { EngineError } from "./engine-errors";

export interface KvBudgetInput {
  /** Bytes one slot takes: capacity × layers × 2 × kvHeads × headDim × element size. */
  bytesPerSlot: number;
  capacity: number;
  maxBatch: number;
  /** Free/total bytes where the model computes; null when they cannot be read. */
  memory: { free: number; total: number } | null;
  /** ENGINE_KV_MEMORY_FRACTION: share of the free memory the pool may take. */
  fraction: number;
  /** ENGINE_KV_MEMORY_MB in bytes; 0 = use the fraction. */
  explicitBytes: number;
  location: "cpu" | "cuda";
}

export interface KvPlan {
  slots: number;
  budgetBytes: number;
  /** What the budget came from, for the startup log line. */
  source: string;
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export function planKvPool(input: KvBudgetInput): KvPlan {
  let budgetBytes: number;
  let source: string;
  if (input.explicitBytes > 0) {
    budgetBytes = input.explicitBytes;
    source = `ENGINE_KV_MEMORY_MB=${Math.round(input.explicitBytes / 2 ** 20)}`;
  } else if (input.memory) {
    budgetBytes = Math.floor(input.memory.free * input.fraction);
    source = `${input.fraction} × ${mib(input.memory.free)} free ${input.location === "cuda" ? "GPU" : "host"} memory`;
  } else {
    throw new EngineError(
      "model_folder_invalid",
      `cannot read the free ${input.location === "cuda" ? "GPU" : "host"} memory to size the KV cache; set ENGINE_KV_MEMORY_MB`,
    );
  }
  const slots = Math.min(input.maxBatch, Math.floor(budgetBytes / input.bytesPerSlot));
  if (slots < 1) {
    throw new EngineError(
      "model_folder_invalid",
      `the KV cache budget (${mib(budgetBytes)}: ${source}) holds no sequence of ${input.capacity} tokens (${mib(input.bytesPerSlot)} each); lower ENGINE_MAX_MODEL_LEN or raise ENGINE_KV_MEMORY_FRACTION / ENGINE_KV_MEMORY_MB`,
    );
  }
  return { slots, budgetBytes, source };
}
