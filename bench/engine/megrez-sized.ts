/**
 * Megrez-3B-sized random model on this machine's CPU (`npx tsx bench/engine/megrez-sized.ts`):
 * real dimensions (hidden 2560, 40 heads / 10 KV heads, intermediate 7168, vocab 122880) but only
 * a few layers, because 32 fp32 layers (~12 GB) do not fit a shared 2-core box. Measures the
 * decode step with L and 2L layers, derives the per-layer and embedding/lm_head cost, and
 * extrapolates to 32 layers. Options: --layers L (default 1), --context N (default 256), --steps N.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { buildLlamaDecoder } from "../../container/model/build-llama-decoder.js";
import { MEGREZ_3B_DIMS, type LlamaDims } from "../../container/model/llama-dims.js";
import { createRandom } from "../../container/model/random-weights.js";
import { openExternalDataFile } from "../../container/onnx/external-data-file.js";
import { encodeOnnxModel } from "../../container/onnx/onnx-model.js";
import { bytesOf } from "../../container/onnx/tensor-bytes.js";
import { type EngineTensor, int64Tensor } from "../../container/runtime/inference-session.js";
import { createInferenceSession } from "../../container/runtime/onnx-backend.js";


const argsSchema = z.object({
  layers: z.coerce.number().int().min(1).max(8).default(1),
  context: z.coerce.number().int().min(1).default(256),
  steps: z.coerce.number().int().min(2).default(8),
});

/** Uniform weights, generated tensor by tensor while encoding (never all in memory). */
function writeModel(dir: string, dims: LlamaDims): number {
  const random = createRandom(7);
  const data = openExternalDataFile(join(dir, "model.onnx_data"));
  try {
    const graph = encodeOnnxModel(
      buildLlamaDecoder({
        dims,
        logitsToKeep: true,
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

/** Median ms of a batch-1 decode step at `context` cached tokens. */
async function decodeStepMs(path: string, dims: LlamaDims, context: number, steps: number): Promise<{ ms: number; rssGiB: number }> {
  const session = await createInferenceSession(path, { executionProvider: "cpu" });
  const past: Record<string, EngineTensor> = {};
  for (let layer = 0; layer < dims.numLayers; layer++) {
    for (const kind of ["key", "value"]) {
      past[`past_key_values.${layer}.${kind}`] = { type: "float32", data: new Float32Array(dims.numKvHeads * context * dims.headDim), dims: [1, dims.numKvHeads, context, dims.headDim] };
    }
  }
  const times: number[] = [];
  for (let step = 0; step < steps; step++) {
    const started = performance.now();
    await session.run({
      ...past,
      input_ids: int64Tensor([42], [1, 1]),
      attention_mask: int64Tensor(new Array<number>(context + 1).fill(1), [1, context + 1]),
      position_ids: int64Tensor([context], [1, 1]),
      num_logits_to_keep: int64Tensor([1], []),
    });
    if (step > 0) times.push(performance.now() - started);
  }
  const rssGiB = process.memoryUsage().rss / 2 ** 30;
  await session.release();
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] ?? 0, rssGiB };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { layers: { type: "string" }, context: { type: "string" }, steps: { type: "string" } } });
  const args = argsSchema.parse(values);
  const root = mkdtempSync(join(tmpdir(), "megrez-sized-"));
  try {
    const results = [];
    for (const numLayers of [args.layers, args.layers * 2]) {
      const dir = join(root, `l${numLayers}`);
      const dims = { ...MEGREZ_3B_DIMS, numLayers };
      mkdirSync(dir);
      const started = performance.now();
      const bytes = writeModel(dir, dims);
      const buildSeconds = (performance.now() - started) / 1000;
      const step = await decodeStepMs(join(dir, "model.onnx"), dims, args.context, args.steps);
      results.push({ numLayers, gib: bytes / 2 ** 30, buildSeconds, ...step });
      rmSync(dir, { recursive: true, force: true });
    }
    const [small, large] = results;
    if (!small || !large) return;
    const perLayer = (large.ms - small.ms) / (large.numLayers - small.numLayers);
    const head = small.ms - perLayer * small.numLayers;
    const full = head + perLayer * 32;
    console.log(`Megrez-3B dimensions, fp32, CPU EP, batch 1, ${args.context} cached tokens (median of ${args.steps - 1} steps)`);
    console.log("| layers | weights (GiB) | build (s) | decode step (ms) | process RSS (GiB) |");
    console.log("|---|---|---|---|---|");
    for (const result of results) console.log(`| ${result.numLayers} | ${result.gib.toFixed(2)} | ${result.buildSeconds.toFixed(1)} | ${result.ms.toFixed(1)} | ${result.rssGiB.toFixed(2)} |`);
    console.log(`Per layer ≈ ${perLayer.toFixed(1)} ms; embedding + final norm + lm_head ≈ ${head.toFixed(1)} ms.`);
    console.log(`Extrapolated 32 layers: ≈ ${full.toFixed(0)} ms per token ≈ ${(1000 / full).toFixed(2)} tok/s; fp32 weights ≈ ${(small.gib + ((large.gib - small.gib) / small.numLayers) * (32 - small.numLayers)).toFixed(1)} GiB.`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
