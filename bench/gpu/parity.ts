/**
 * CPU↔CUDA parity of the fast graph for the GPU check, on one generated model written twice (float32 and float16
 * compute, same weights): prompt logits of the raw graph on both providers; greedy tokens of each prompt alone,
 * cpu (float32) against the device (float32 and float16); a batch of all prompts against each alone on the device.
 * Passes when every prompt's first greedy token agrees between the providers in float32 (later tokens may part at
 * near-ties; the matching prefix is reported).
 */
import { join } from "node:path";
import { writeDemoModel } from "../../container/demo/write-demo-model";
import { createEngine, type Engine } from "../../container/engine/create-engine";
import { DEFAULT_SAMPLING } from "../../container/engine/sampling-params";
import { type EngineTensor, type ExecutionProvider, int32Tensor, int64Tensor } from "../../container/runtime/inference-session";
import { createInferenceSession } from "../../container/runtime/onnx-backend";

const PROMPTS = [
  "Summarize the search results about the weather in Beijing and Shanghai today.",
  "What is Megrez-3B?",
  "请用中文总结一下今天的新闻。",
  "List three uses of continuous batching in a model server, with one sentence each, and cite sources.",
];

export interface ParityResult {
  passed: boolean;
  lines: string[];
}

/** Last-position logits of a one-shot prefill through the raw fast graph (no engine code). */
async function prefillLogits(modelPath: string, executionProvider: ExecutionProvider, promptIds: readonly number[]): Promise<Float32Array> {
  const session = await createInferenceSession(modelPath, { executionProvider });
  try {
    const length = promptIds.length;
    const feeds: Record<string, EngineTensor> = {
      input_ids: int64Tensor(promptIds, [1, length]),
      seqlens_k: int32Tensor([length - 1], [1]),
      total_sequence_length: int32Tensor([length], []),
    };
    const bound: Record<string, EngineTensor> = {};
    for (const input of session.inputs) {
      if (!input.name.startsWith("past_key_values.")) continue;
      const dims = [1, Number(input.dims[1]), length, Number(input.dims[3])];
      const elements = dims.reduce((product, dim) => product * dim, 1);
      const tensor: EngineTensor =
        input.type === "float16" ? { type: "float16", data: new Uint16Array(elements), dims } : { type: "float32", data: new Float32Array(elements), dims };
      feeds[input.name] = tensor;
      bound[input.name.replace("past_key_values.", "present.")] = tensor;
    }
    const logits = (await session.run(feeds, bound)).logits;
    if (logits?.type !== "float32") throw new Error("the decoder returned no float32 logits");
    return logits.data;
  } finally {
    await session.release();
  }
}

async function greedy(engine: Engine, promptIds: number[], tokens: number): Promise<readonly number[]> {
  for await (const event of engine.scheduler.submit({ promptIds, params: { ...DEFAULT_SAMPLING, temperature: 0, maxTokens: tokens, ignoreEos: true } })) {
    if (event.type === "finish") return event.tokenIds;
    if (event.type === "error") throw event.error;
  }
  return [];
}

function sharedPrefix(left: readonly number[], right: readonly number[]): number {
  let index = 0;
  while (index < left.length && index < right.length && left[index] === right[index]) index++;
  return index;
}

function maxDifference(left: Float32Array, right: Float32Array): number {
  return left.reduce((max, value, index) => Math.max(max, Math.abs(value - (right[index] ?? Number.NaN))), 0);
}

/**
 * @example
 *   const { passed, lines } = await checkParity({ workDir, device: "cuda", tokens: 32 });
 */
export async function checkParity(options: { workDir: string; device: ExecutionProvider; tokens: number }): Promise<ParityResult> {
  const dims = { hiddenSize: 256, intermediateSize: 512, numLayers: 4, numHeads: 16, numKvHeads: 8, headDim: 16 };
  const dirs = { fp32: join(options.workDir, "parity-fp32"), fp16: join(options.workDir, "parity-fp16") };
  writeDemoModel({ outDir: dirs.fp32, seed: 3, dims, graph: "fast", dtype: "fp32" });
  writeDemoModel({ outDir: dirs.fp16, seed: 3, dims, graph: "fast", dtype: "fp16" });
  const common = { maxBatch: 8, maxQueue: 16, requestTimeoutMs: 0 };
  const cpu = await createEngine({ ...common, modelDir: dirs.fp32, executionProvider: "cpu" });
  const device32 = await createEngine({ ...common, modelDir: dirs.fp32, executionProvider: options.device });
  const device16 = await createEngine({ ...common, modelDir: dirs.fp16, executionProvider: options.device });
  try {
    const prompts = PROMPTS.map((content) => cpu.codec.encodeChat([{ role: "user", content }], true));
    const first = prompts[0] ?? [];
    const cpuLogits = await prefillLogits(join(dirs.fp32, "onnx", "model.onnx"), "cpu", first);
    const logits32 = maxDifference(cpuLogits, await prefillLogits(join(dirs.fp32, "onnx", "model.onnx"), options.device, first));
    const logits16 = maxDifference(cpuLogits, await prefillLogits(join(dirs.fp16, "onnx", "model.onnx"), options.device, first));
    const batched = await Promise.all(prompts.map((ids) => greedy(device32, ids, options.tokens)));
    let passed = true;
    const rows: string[] = [];
    for (const [index, ids] of prompts.entries()) {
      const onCpu = await greedy(cpu, ids, options.tokens);
      const alone32 = await greedy(device32, ids, options.tokens);
      const alone16 = await greedy(device16, ids, options.tokens);
      if (onCpu[0] !== alone32[0]) passed = false;
      const n = options.tokens;
      rows.push(
        `| ${index + 1} (${ids.length} tokens) | ${sharedPrefix(onCpu, alone32)}/${n} | ${sharedPrefix(onCpu, alone16)}/${n} | ${sharedPrefix(alone32, batched[index] ?? [])}/${n} |`,
      );
    }
    const lines = [
      `Fast graph, hidden ${dims.hiddenSize} × ${dims.numLayers} layers, same weights in float32 and float16; engines report ${cpu.executionProvider} / ${device32.executionProvider}.`,
      `Prompt logits, prompt 1: max |cpu float32 − ${options.device} float32| = ${logits32.toExponential(2)}, max |cpu float32 − ${options.device} float16| = ${logits16.toExponential(2)}.`,
      "",
      `| prompt | greedy prefix equal: cpu fp32 vs ${options.device} fp32 | cpu fp32 vs ${options.device} fp16 | ${options.device} fp32 batched vs alone |`,
      "|---|---|---|---|",
      ...rows,
      "",
      `Parity: ${passed ? "PASS" : "FAIL"} (every prompt's first greedy token equal between cpu and ${options.device} in float32).`,
    ];
    return { passed, lines };
  } finally {
    await Promise.all([cpu.release(), device32.release(), device16.release()]);
  }
}
