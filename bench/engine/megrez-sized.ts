/**
 * Megrez-3B-sized random model on this machine's CPU (`npx tsx bench/engine/megrez-sized.ts`):
 * real dimensions (hidden 2560, 40 heads / 10 KV heads, intermediate 7168, vocab 122880) but only
 * a few layers, because 32 fp32 layers (~12 GB) do not fit a shared 2-core box. Measures the
 * decode step with L and 2L layers, derives the per-layer and embedding/lm_head cost, and
 * extrapolates to 32 layers (from the first context and batch size). Options: --layers L (default 1),
 * --context N[,N...] (default 256), --batch B[,B...] (default 1), --steps N, --ep cpu|cuda (default
 * cpu), --kv float32|float16 (KV cache type), --full (build and time all 32 layers, no extrapolation:
 * for a GPU host).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { buildLlamaDecoder } from "../../container/model/build-llama-decoder";
import { MEGREZ_3B_DIMS, type LlamaDims } from "../../container/model/llama-dims";
import type { KvType } from "../../container/engine/kv-batch";
import { createRandom } from "../../container/model/seeded-random";
import { openExternalDataFile } from "../../container/onnx/external-data-file";
import { encodeOnnxModel } from "../../container/onnx/onnx-model";
import { bytesOf } from "../../container/onnx/tensor-bytes";
import { type EngineTensor, type ExecutionProvider, type InferenceSession, int64Tensor } from "../../container/runtime/inference-session";
import { createInferenceSession, onnxRuntimeVersion } from "../../container/runtime/onnx-backend";

const argsSchema = z.object({
  layers: z.coerce.number().int().min(1).max(16).default(1),
  /** One or more cached-token counts, comma-separated ("256,2048"). */
  context: z
    .string()
    .default("256")
    .transform((value) => value.split(",").map(Number))
    .pipe(z.array(z.number().int().min(1)).min(1)),
  /** One or more batch sizes, comma-separated ("1,8"); every sequence holds `context` tokens. */
  batch: z
    .string()
    .default("1")
    .transform((value) => value.split(",").map(Number))
    .pipe(z.array(z.number().int().min(1).max(64)).min(1)),
  steps: z.coerce.number().int().min(2).default(8),
  ep: z.enum(["cpu", "cuda"]).default("cpu"),
  /** KV cache element type of the generated decoder. */
  kv: z.enum(["float32", "float16"]).default("float32"),
  full: z.boolean().default(false),
});

/** Uniform weights, generated tensor by tensor while encoding (never all in memory). */
function writeModel(dir: string, dims: LlamaDims, kvType: KvType): number {
  const random = createRandom(7);
  const data = openExternalDataFile(join(dir, "model.onnx_data"));
  try {
    const graph = encodeOnnxModel(
      buildLlamaDecoder({
        dims,
        logitsToKeep: true,
        kvType,
        weights: (name, shape) => () => {
          const values = new Float32Array(shape.reduce((product, dim) => product * dim, 1));
          if (name.endsWith("norm.weight")) values.fill(1);
          else for (let index = 0; index < values.length; index++) values[index] = (random() - 0.5) * 0.04;
          return bytesOf(values);
        },
      }),
      data.sink,
    );
    writeFileSync(join(dir, "model.onnx"), graph);
    return data.bytesWritten();
  } finally {
    data.close();
  }
}

interface StepTiming {
  context: number;
  batch: number;
  ms: number;
}

/** Median ms of a decode step for every (context, batch) pair, on one session. */
async function decodeStepMs(
  path: string,
  dims: LlamaDims,
  shape: { contexts: readonly number[]; batches: readonly number[]; kvType: KvType },
  steps: number,
  executionProvider: ExecutionProvider,
): Promise<{ timings: StepTiming[]; rssGiB: number }> {
  const timings: StepTiming[] = [];
  const session = await createInferenceSession(path, { executionProvider });
  for (const context of shape.contexts) {
    for (const batch of shape.batches) timings.push({ context, batch, ms: await medianStepMs(session, dims, { context, batch, kvType: shape.kvType }, steps) });
  }
  await session.release();
  return { timings, rssGiB: process.memoryUsage().rss / 2 ** 30 };
}

async function medianStepMs(
  session: InferenceSession,
  dims: LlamaDims,
  { context, batch, kvType }: { context: number; batch: number; kvType: KvType },
  steps: number,
): Promise<number> {
  const past: Record<string, EngineTensor> = {};
  for (let layer = 0; layer < dims.numLayers; layer++) {
    for (const kind of ["key", "value"]) {
      const length = batch * dims.numKvHeads * context * dims.headDim;
      const shape = [batch, dims.numKvHeads, context, dims.headDim];
      past[`past_key_values.${layer}.${kind}`] =
        kvType === "float32"
          ? { type: "float32", data: new Float32Array(length), dims: shape }
          : { type: "float16", data: new Uint16Array(length), dims: shape };
    }
  }
  const times: number[] = [];
  for (let step = 0; step < steps; step++) {
    const started = performance.now();
    await session.run({
      ...past,
      input_ids: int64Tensor(new Array<number>(batch).fill(42), [batch, 1]),
      attention_mask: int64Tensor(new Array<number>(batch * (context + 1)).fill(1), [batch, context + 1]),
      position_ids: int64Tensor(new Array<number>(batch).fill(context), [batch, 1]),
      num_logits_to_keep: int64Tensor([1], []),
    });
    if (step > 0) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      layers: { type: "string" },
      context: { type: "string" },
      steps: { type: "string" },
      batch: { type: "string" },
      kv: { type: "string" },
      ep: { type: "string" },
      full: { type: "boolean" },
    },
  });
  const args = argsSchema.parse(values);
  const root = mkdtempSync(join(tmpdir(), "megrez-sized-"));
  try {
    const results = [];
    for (const numLayers of args.full ? [32] : [args.layers, args.layers * 2]) {
      const dir = join(root, `l${numLayers}`);
      const dims = { ...MEGREZ_3B_DIMS, numLayers };
      mkdirSync(dir);
      const started = performance.now();
      const bytes = writeModel(dir, dims, args.kv);
      const buildSeconds = (performance.now() - started) / 1000;
      const step = await decodeStepMs(join(dir, "model.onnx"), dims, { contexts: args.context, batches: args.batch, kvType: args.kv }, args.steps, args.ep);
      results.push({ numLayers, gib: bytes / 2 ** 30, buildSeconds, ...step });
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(
      `Megrez-3B dimensions, fp32 weights, ${args.kv} KV cache, ${args.ep} EP (ONNX Runtime ${await onnxRuntimeVersion()}) (median of ${args.steps - 1} steps)`,
    );
    console.log("| layers | weights (GiB) | build (s) | cached tokens per sequence | batch | decode step (ms) | tok/s (all sequences) | process RSS (GiB) |");
    console.log("|---|---|---|---|---|---|---|---|");
    for (const result of results) {
      for (const { context, batch, ms } of result.timings) {
        console.log(
          `| ${result.numLayers} | ${result.gib.toFixed(2)} | ${result.buildSeconds.toFixed(1)} | ${context} | ${batch} | ${ms.toFixed(2)} | ${((1000 * batch) / ms).toFixed(1)} | ${result.rssGiB.toFixed(2)} |`,
        );
      }
    }
    const [small, large] = results;
    if (!small || !large) return;
    const smallMs = small.timings[0]?.ms ?? Number.NaN;
    const perLayer = ((large.timings[0]?.ms ?? Number.NaN) - smallMs) / (large.numLayers - small.numLayers);
    const head = smallMs - perLayer * small.numLayers;
    const full = head + perLayer * 32;
    console.log(
      `At ${args.context[0]} cached tokens, batch ${args.batch[0]}: per layer ≈ ${perLayer.toFixed(1)} ms; embedding + final norm + lm_head ≈ ${head.toFixed(1)} ms.`,
    );
    console.log(
      `Extrapolated 32 layers: ≈ ${full.toFixed(0)} ms per token ≈ ${(1000 / full).toFixed(2)} tok/s; fp32 weights ≈ ${(small.gib + ((large.gib - small.gib) / small.numLayers) * (32 - small.numLayers)).toFixed(1)} GiB.`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
