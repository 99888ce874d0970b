/**
 * Checks a GPU host (`npx tsx bench/engine/ep-parity.ts --ep cuda`): the engine on the given
 * execution provider against the same engine on cpu, on one generated model, in one run.
 *  - first-step logits of the raw decoder on both providers (max absolute difference);
 *  - greedy tokens of each prompt alone, cpu vs ep (matching prefix length);
 *  - greedy tokens of the prompts batched together on ep vs each alone on ep;
 *  - batch-1 decode tok/s on both.
 * Options: --ep cuda (default), --tokens N (default 48), --hidden N --layers N (model size).
 * Exits 1 when the first greedy token of any prompt differs between providers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { writeBenchModel } from "./bench-model";
import { type Engine, createEngine } from "../../container/engine/create-engine";
import { DEFAULT_SAMPLING } from "../../container/engine/sampling-params";
import { type ExecutionProvider, int64Tensor } from "../../container/runtime/inference-session";
import { createInferenceSession, onnxRuntimeVersion } from "../../container/runtime/onnx-backend";

const argsSchema = z.object({
  ep: z.enum(["cpu", "cuda"]).default("cuda"),
  tokens: z.coerce.number().int().min(2).default(48),
  hidden: z.coerce.number().int().min(16).default(64),
  layers: z.coerce.number().int().min(1).default(2),
});

const PROMPTS = [
  "Summarize the search results about the weather in Beijing and Shanghai today.",
  "What is Megrez-3B?",
  "请用中文总结一下今天的新闻。",
  "List three uses of continuous batching in a model server, with one sentence each, and cite sources.",
];

async function greedy(engine: Engine, promptIds: number[], tokens: number): Promise<{ ids: readonly number[]; ms: number }> {
  const started = performance.now();
  let ids: readonly number[] = [];
  for await (const event of engine.scheduler.submit({ promptIds, params: { ...DEFAULT_SAMPLING, temperature: 0, maxTokens: tokens, ignoreEos: true } })) {
    if (event.type === "finish") ids = event.tokenIds;
  }
  return { ids, ms: performance.now() - started };
}

function sharedPrefix(left: readonly number[], right: readonly number[]): number {
  let index = 0;
  while (index < left.length && index < right.length && left[index] === right[index]) index++;
  return index;
}

async function lastLogits(
  modelPath: string,
  executionProvider: ExecutionProvider,
  promptIds: readonly number[],
  numLayers: number,
  kvShape: [number, number],
): Promise<Float32Array> {
  const session = await createInferenceSession(modelPath, { executionProvider });
  const feeds: Parameters<typeof session.run>[0] = {
    input_ids: int64Tensor(promptIds, [1, promptIds.length]),
    attention_mask: int64Tensor(
      promptIds.map(() => 1),
      [1, promptIds.length],
    ),
    position_ids: int64Tensor(
      promptIds.map((_, index) => index),
      [1, promptIds.length],
    ),
    num_logits_to_keep: int64Tensor([1], []),
  };
  const empty = { type: "float32" as const, data: new Float32Array(0), dims: [1, kvShape[0], 0, kvShape[1]] };
  for (let layer = 0; layer < numLayers; layer++) for (const kind of ["key", "value"]) Object.assign(feeds, { [`past_key_values.${layer}.${kind}`]: empty });
  const logits = (await session.run(feeds)).logits;
  await session.release();
  if (logits?.type !== "float32") throw new Error("decoder returned no float32 logits");
  return logits.data;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { ep: { type: "string" }, tokens: { type: "string" }, hidden: { type: "string" }, layers: { type: "string" } } });
  const args = argsSchema.parse(values);
  const root = mkdtempSync(join(tmpdir(), "ep-parity-"));
  try {
    const modelDir = join(root, "model");
    const model = writeBenchModel(modelDir, { hidden: args.hidden, layers: args.layers, seed: 3 });
    const options = { modelDir, maxBatch: 8, maxQueue: 16, requestTimeoutMs: 0 };
    const cpu = await createEngine({ ...options, executionProvider: "cpu" });
    const gpu = await createEngine({ ...options, executionProvider: args.ep });
    const prompts = PROMPTS.map((content) => cpu.codec.encodeChat([{ role: "user", content }], true));
    const modelPath = join(modelDir, "onnx", "model.onnx");
    const kvShape: [number, number] = [model.dims.numKvHeads, model.dims.headDim];
    const [cpuLogits, gpuLogits] = [
      await lastLogits(modelPath, "cpu", prompts[0] ?? [], model.dims.numLayers, kvShape),
      await lastLogits(modelPath, args.ep, prompts[0] ?? [], model.dims.numLayers, kvShape),
    ];
    const maxDiff = cpuLogits.reduce((max, value, index) => Math.max(max, Math.abs(value - (gpuLogits[index] ?? Number.NaN))), 0);
    await greedy(gpu, prompts[0] ?? [], 4);
    const rows: string[] = [];
    let firstTokenMismatch = false;
    const batched = await Promise.all(prompts.map((ids) => greedy(gpu, ids, args.tokens)));
    for (const [index, ids] of prompts.entries()) {
      const onCpu = await greedy(cpu, ids, args.tokens);
      const onGpu = await greedy(gpu, ids, args.tokens);
      if (onCpu.ids[0] !== onGpu.ids[0]) firstTokenMismatch = true;
      const cpuRate = (args.tokens / onCpu.ms) * 1000;
      const gpuRate = (args.tokens / onGpu.ms) * 1000;
      rows.push(
        `| ${index + 1} (${ids.length} tokens) | ${sharedPrefix(onCpu.ids, onGpu.ids)}/${args.tokens} | ${sharedPrefix(onGpu.ids, batched[index]?.ids ?? [])}/${args.tokens} | ${cpuRate.toFixed(0)} | ${gpuRate.toFixed(0)} |`,
      );
    }
    console.log(
      `Model: hidden ${args.hidden}, ${args.layers} layers; ONNX Runtime ${await onnxRuntimeVersion()}; engines report ${cpu.executionProvider} and ${gpu.executionProvider}.`,
    );
    console.log(`First-step logits, prompt 1: max |cpu - ${args.ep}| = ${maxDiff.toExponential(2)} over ${cpuLogits.length} values.`);
    console.log(`| prompt | greedy tokens equal, cpu vs ${args.ep} (prefix) | ${args.ep} batched vs alone (prefix) | cpu tok/s | ${args.ep} tok/s |`);
    console.log("|---|---|---|---|---|");
    console.log(rows.join("\n"));
    await Promise.all([cpu.release(), gpu.release()]);
    if (firstTokenMismatch) process.exitCode = 1;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
