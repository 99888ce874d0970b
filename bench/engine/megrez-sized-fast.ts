/**
 * The fast graph at Megrez-3B's real dimensions (`npx tsx bench/engine/megrez-sized-fast.ts`): hidden 2560, 40/10
 * heads × 64, intermediate 7168, vocab 122880, a few layers (32 fp32 layers do not fit a shared 2-core box; --full on
 * a GPU host). One run times, interleaved step by step on the same session and the same KV buffers:
 *   - the raw floor: session.run of the fast graph with prebuilt feeds (ids, seqlens, the in-place KV bound as present);
 *   - the engine's step: FastDecoderRunner.step (what the scheduler calls per decode step).
 * Options: --layers L (default 2), --context N[,N] (default 256), --batch B[,B] (default 1), --steps N (default 8),
 * --dtype fp32|fp16 (compute type, default fp32), --ep cpu|cuda, --full (32 layers).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { FastDecoderRunner } from "../../container/engine/fast-decoder-runner";
import { FastKvBatch } from "../../container/engine/fast-kv-batch";
import { buildFastDecoder } from "../../container/model/build-fast-decoder";
import { MEGREZ_3B_DIMS, type LlamaDims } from "../../container/model/llama-dims";
import { createRandom } from "../../container/model/seeded-random";
import { openExternalDataFile } from "../../container/onnx/external-data-file";
import { encodeOnnxModel } from "../../container/onnx/onnx-model";
import { bytesOf, float32ToFloat16Array } from "../../container/onnx/tensor-bytes";
import type { EngineTensor } from "../../container/runtime/inference-session";
import { createInferenceSession, onnxRuntimeVersion } from "../../container/runtime/onnx-backend";
import { median } from "../median";

const list = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) => value.split(",").map(Number))
    .pipe(z.array(z.number().int().min(1)).min(1));

const argsSchema = z.object({
  layers: z.coerce.number().int().min(1).max(32).default(2),
  context: list("256"),
  batch: list("1"),
  steps: z.coerce.number().int().min(2).default(8),
  dtype: z.enum(["fp32", "fp16"]).default("fp32"),
  ep: z.enum(["cpu", "cuda"]).default("cpu"),
  full: z.boolean().default(false),
});

/** Uniform weights in the compute type, generated tensor by tensor while encoding. */
function writeModel(dir: string, dims: LlamaDims, half: boolean): void {
  const random = createRandom(7);
  const data = openExternalDataFile(join(dir, "model.onnx_data"));
  try {
    const model = buildFastDecoder({
      dims,
      computeType: half ? "float16" : "float32",
      weights: (name, shape) => () => {
        const values = new Float32Array(shape.reduce((product, dim) => product * dim, 1));
        if (name.endsWith("norm.weight")) values.fill(1);
        else for (let index = 0; index < values.length; index++) values[index] = (random() - 0.5) * 0.04;
        return half ? bytesOf(float32ToFloat16Array(values)) : bytesOf(values);
      },
    });
    writeFileSync(join(dir, "model.onnx"), encodeOnnxModel(model, data.sink));
  } finally {
    data.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: Object.fromEntries(["layers", "context", "batch", "steps", "dtype", "ep"].map((key) => [key, { type: "string" as const }])),
    strict: false,
  });
  const args = argsSchema.parse({ ...values, full: process.argv.includes("--full") });
  const dims: LlamaDims = { ...MEGREZ_3B_DIMS, numLayers: args.full ? 32 : args.layers };
  const root = mkdtempSync(join(tmpdir(), "megrez-fast-"));
  try {
    const started = performance.now();
    writeModel(root, dims, args.dtype === "fp16");
    const buildSeconds = (performance.now() - started) / 1000;
    const session = await createInferenceSession(join(root, "model.onnx"), { executionProvider: args.ep });
    const runner = new FastDecoderRunner(dims, session, null);
    console.log(
      `Megrez-3B dimensions, ${dims.numLayers} layers, fast graph (${args.dtype}), ${args.ep} EP, ONNX Runtime ${await onnxRuntimeVersion()}; built in ${buildSeconds.toFixed(0)} s; median of ${args.steps} steps; load average at start ${loadavg()[0]?.toFixed(1)}.`,
    );
    console.log("| cached tokens | batch | raw session.run (ms) | engine step (ms) | engine / raw |");
    console.log("|---|---|---|---|---|");
    for (const context of args.context) {
      for (const batch of args.batch) {
        const kv = FastKvBatch.empty(dims, runner.kvType, batch, context + 2 * args.steps + 2);
        kv.lengths.fill(context);
        const tokens = Array.from({ length: batch }, () => [42]);
        const seqlens = new Int32Array(batch);
        const total = new Int32Array(1);
        const feeds: Record<string, EngineTensor> = {
          input_ids: { type: "int64", data: new BigInt64Array(batch).fill(42n), dims: [batch, 1] },
          seqlens_k: { type: "int32", data: seqlens, dims: [batch] },
          total_sequence_length: { type: "int32", data: total, dims: [] },
        };
        const bound: Record<string, EngineTensor> = {};
        kv.bindRows(0, batch, feeds, bound);
        const raw: number[] = [];
        const engine: number[] = [];
        for (let step = 0; step <= args.steps; step++) {
          // Raw: one token more per row, written in place like the engine's; then the engine's own step.
          seqlens.fill(kv.lengths[0] ?? 0);
          total[0] = (kv.lengths[0] ?? 0) + 1;
          let at = performance.now();
          await session.run(feeds, bound);
          for (let row = 0; row < batch; row++) kv.lengths[row] = (kv.lengths[row] ?? 0) + 1;
          if (step > 0) raw.push(performance.now() - at);
          at = performance.now();
          await runner.step(tokens, kv);
          if (step > 0) engine.push(performance.now() - at);
        }
        const [rawMs, engineMs] = [median(raw), median(engine)];
        console.log(`| ${context} | ${batch} | ${rawMs.toFixed(2)} | ${engineMs.toFixed(2)} | ${(engineMs / rawMs).toFixed(3)}× |`);
      }
    }
    await runner.release();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
