/**
 * The native layer (ONNX Runtime's C API through koffi) against onnxruntime-node, in one run on this machine's CPU
 * (`npx tsx bench/engine/native-layer.ts [--hidden 256 --layers 4 --cached 256 --tokens 48 --repeats 3]`):
 *  1. per-call cost: one koffi call into ORT, and one run of a 4-float graph through onnxruntime-node's
 *     session.run, the native session.run (tensors wrapped per run) and a native I/O binding (bound once);
 *  2. decode step of the engine on the same generated fast-graph model, batch 1 and 8, after `cached` prompt
 *     tokens: the engine on the native KV pool vs the engine on onnxruntime-node (the host-side fast runner,
 *     what the engine falls back to), and the same for the standard graph at batch 1.
 * Prints a Markdown table of medians and ratios, with the load average.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { median } from "../median";
import { createEngine, type Engine } from "../../container/engine/create-engine";
import { DEFAULT_SAMPLING } from "../../container/engine/sampling-params";
import { writeDemoModel } from "../../container/demo/write-demo-model";
import { GraphBuilder } from "../../container/onnx/graph-builder";
import { encodeOnnxModel } from "../../container/onnx/onnx-model";
import { type EngineTensor, isBindingSession } from "../../container/runtime/inference-session";
import { createInferenceSession, onnxRuntimeVersion } from "../../container/runtime/onnx-backend";
import { loadOrtLibrary } from "../../container/runtime/ort-library";

const argsSchema = z.object({
  hidden: z.coerce.number().int().min(32).default(256),
  layers: z.coerce.number().int().min(1).default(4),
  cached: z.coerce.number().int().min(8).default(256),
  tokens: z.coerce.number().int().min(8).default(48),
  repeats: z.coerce.number().int().min(1).default(3),
  threads: z.coerce.number().int().min(1).default(1),
});

function tinyGraph(): Uint8Array {
  const g = new GraphBuilder("add-one");
  const x = g.input("x", "float32", [4]);
  g.output(g.op("Add", [x, g.constFloat32([1])]), "y", "float32", [4]);
  return encodeOnnxModel(g.toModel());
}

async function perCall(): Promise<{ ffiNs: number; nodeUs: number; nativeRunUs: number; bindingUs: number }> {
  const ort = loadOrtLibrary();
  const bytes = tinyGraph();
  const node = await createInferenceSession(bytes, { executionProvider: "cpu", runtime: "onnxruntime-node", threads: 1 });
  const native = await createInferenceSession(bytes, { executionProvider: "cpu", runtime: "native", threads: 1 });
  if (!isBindingSession(native)) throw new Error("native session expected");
  const x: EngineTensor = { type: "float32", data: new Float32Array(4), dims: [4] };
  const binding = native.createBinding();
  const memory = native.allocate(16);
  const view = native.view(memory, 0, "float32", [4]);
  binding.bindInput("x", view);
  binding.bindOutput("y", view);
  const time = async (count: number, body: () => Promise<unknown> | unknown): Promise<number> => {
    for (let warm = 0; warm < 50; warm++) await body();
    const started = performance.now();
    for (let index = 0; index < count; index++) await body();
    return ((performance.now() - started) * 1000) / count;
  };
  // A real ORT entry point that does almost nothing: the cost of crossing into C through koffi.
  const pointer = (binding as unknown as { binding: bigint }).binding;
  const ffiNs = (await time(200_000, () => ort.api.ClearBoundOutputs(pointer))) * 1000;
  binding.bindOutput("y", view);
  const result = {
    ffiNs,
    nodeUs: await time(3000, () => node.run({ x })),
    nativeRunUs: await time(3000, () => native.run({ x })),
    bindingUs: await time(3000, () => binding.run()),
  };
  binding.release();
  view.release();
  memory.release();
  await Promise.all([node.release(), native.release()]);
  return result;
}

/** ms per decode step with `batch` concurrent requests of `promptIds` (time after every first token / steps). */
async function stepMs(engine: Engine, promptIds: number[], batch: number, tokens: number): Promise<number> {
  const params = { ...DEFAULT_SAMPLING, temperature: 0, maxTokens: tokens, ignoreEos: true };
  let firsts = 0;
  let decodeStart = 0;
  await Promise.all(
    Array.from({ length: batch }, async () => {
      let first = true;
      for await (const event of engine.scheduler.submit({ promptIds, params })) {
        if (event.type === "text-delta" && first) {
          first = false;
          firsts += 1;
          if (firsts === batch) decodeStart = performance.now();
        }
      }
    }),
  );
  return (performance.now() - decodeStart) / (tokens - 1);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: Object.fromEntries(Object.keys(argsSchema.shape).map((key) => [key, { type: "string" }])) });
  const args = argsSchema.parse(values);
  const load = loadavg()[0]?.toFixed(1);
  const calls = await perCall();
  const root = mkdtempSync(join(tmpdir(), "native-bench-"));
  const heads = args.hidden / 16;
  const dims = { hiddenSize: args.hidden, intermediateSize: args.hidden * 2, numLayers: args.layers, numHeads: heads, numKvHeads: heads / 2, headDim: 16 };
  const rows: string[] = [];
  try {
    for (const graph of ["fast", "standard"] as const) {
      const dir = join(root, graph);
      writeDemoModel({ outDir: dir, seed: 3, dims, graph, dtype: "fp32" });
      const open = (runtime: "native" | "onnxruntime-node") =>
        createEngine({
          modelDir: dir,
          executionProvider: "cpu",
          runtime,
          threads: args.threads,
          maxBatch: 8,
          maxQueue: 64,
          requestTimeoutMs: 0,
          kvMemoryBytes: 2 ** 30,
        });
      const [native, node] = [await open("native"), await open("onnxruntime-node")];
      const promptIds = Array.from({ length: args.cached }, (_, index) => 300 + (index % 200));
      for (const batch of graph === "fast" ? [1, 8] : [1]) {
        const samples = { native: [] as number[], node: [] as number[] };
        for (let repeat = 0; repeat < args.repeats; repeat++) {
          samples.native.push(await stepMs(native, promptIds, batch, args.tokens));
          samples.node.push(await stepMs(node, promptIds, batch, args.tokens));
        }
        const [ours, theirs] = [median(samples.native), median(samples.node)];
        rows.push(`| ${graph} graph, batch ${batch}, ${args.cached} cached | ${ours.toFixed(2)} | ${theirs.toFixed(2)} | ${(theirs / ours).toFixed(2)}× |`);
      }
      await Promise.all([native.release(), node.release()]);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const lines = [
    `ONNX Runtime ${await onnxRuntimeVersion()} on CPU, ${args.threads} intra-op thread(s); model hidden ${args.hidden}, ${args.layers} layers, fp32; median of ${args.repeats}; load average at start ${load}.`,
    "",
    "| per call | cost |",
    "|---|---|",
    `| koffi call into ORT (ClearBoundOutputs) | ${calls.ffiNs.toFixed(0)} ns |`,
    `| 4-float graph: onnxruntime-node session.run | ${calls.nodeUs.toFixed(1)} µs |`,
    `| 4-float graph: native session.run (tensors wrapped per run) | ${calls.nativeRunUs.toFixed(1)} µs |`,
    `| 4-float graph: native I/O binding, bound once | ${calls.bindingUs.toFixed(1)} µs |`,
    "",
    "| engine decode step (ms) | native layer | onnxruntime-node | speed-up |",
    "|---|---|---|---|",
    ...rows,
  ];
  console.log(lines.join("\n"));
}

await main();
