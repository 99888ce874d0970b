/**
 * Engine benchmark, all in one run on the same generated model (`npx tsx bench/engine/run.ts`):
 *  1. batch-1 decode tok/s and time-to-first-token: our engine vs @huggingface/transformers generate;
 *  2. engine per-token overhead vs raw session.run of the same decode step (the floor);
 *  3. aggregate tok/s with 1, 4 and 8 concurrent requests.
 * Options: --tokens N (default 64), --repeats N (default 5), --hidden N --layers N (model size),
 * --threads N (ORT intra-op threads for all three, default 1), --ep cpu|cuda (execution provider for
 * all three, default cpu; cuda needs onnxruntime-node's CUDA provider libraries), --graph standard|fast (the graph our
 * engine and the raw loop run, default standard; transformers.js always runs the standard graph: with fast, each system
 * runs its own graph, written from the same weights).
 * Prints a Markdown table of medians and ratios.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { median } from "../median";
import { writeBenchModel } from "./bench-model";
import { createEngine, type Engine } from "../../container/engine/create-engine";
import { DEFAULT_SAMPLING } from "../../container/engine/sampling-params";
import { onnxRuntimeVersion } from "../../container/runtime/onnx-backend";
import { rawDecodeLoop } from "./raw-decode";
import { type BatchOneSample, transformersJsPeer } from "./transformers-js";

const argsSchema = z.object({
  tokens: z.coerce.number().int().min(8).default(64),
  repeats: z.coerce.number().int().min(1).default(5),
  hidden: z.coerce.number().int().min(16).default(64),
  layers: z.coerce.number().int().min(1).default(2),
  /** ORT intra-op threads for all three contenders. */
  threads: z.coerce.number().int().min(1).default(1),
  ep: z.enum(["cpu", "cuda"]).default("cpu"),
  graph: z.enum(["standard", "fast"]).default("standard"),
});

async function engineRun(engine: Engine, promptIds: number[], maxTokens: number): Promise<{ ttftMs: number; totalMs: number; tokens: number }> {
  const started = performance.now();
  let firstAt = 0;
  let tokens = 0;
  const params = { ...DEFAULT_SAMPLING, temperature: 0, maxTokens, ignoreEos: true };
  for await (const event of engine.scheduler.submit({ promptIds, params })) {
    if (event.type === "finish") tokens = event.usage.completionTokens;
    if (event.type === "text-delta" && firstAt === 0) firstAt = performance.now();
  }
  return { ttftMs: firstAt - started, totalMs: performance.now() - started, tokens };
}

/** TTFT = time of a 1-token generation; decode rate from the N-token minus 1-token time. */
async function engineBatchOne(engine: Engine, promptIds: number[], tokens: number): Promise<BatchOneSample> {
  const one = await engineRun(engine, promptIds, 1);
  const many = await engineRun(engine, promptIds, tokens);
  return { ttftMs: one.totalMs, decodeTokPerS: (many.tokens - 1) / ((many.totalMs - one.totalMs) / 1000) };
}

async function aggregate(engine: Engine, promptIds: number[], tokens: number, concurrency: number, repeats: number): Promise<number> {
  const rates: number[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    const started = performance.now();
    const runs = await Promise.all(Array.from({ length: concurrency }, () => engineRun(engine, promptIds, tokens)));
    const total = runs.reduce((sum, run) => sum + run.tokens, 0);
    rates.push(total / ((performance.now() - started) / 1000));
  }
  return median(rates);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tokens: { type: "string" },
      repeats: { type: "string" },
      hidden: { type: "string" },
      layers: { type: "string" },
      threads: { type: "string" },
      ep: { type: "string" },
      graph: { type: "string" },
    },
  });
  const args = argsSchema.parse(values);
  const root = mkdtempSync(join(tmpdir(), "engine-bench-"));
  try {
    const modelDir = join(root, "bench-model");
    const model = writeBenchModel(modelDir, { hidden: args.hidden, layers: args.layers, seed: 1 });
    // Our engine's folder: the same weights (seed), in the graph asked for; transformers.js reads bench-model.
    const oursDir = args.graph === "fast" ? join(root, "bench-model-fast") : modelDir;
    if (args.graph === "fast") writeBenchModel(oursDir, { hidden: args.hidden, layers: args.layers, seed: 1, graph: "fast" });
    const engine = await createEngine({ modelDir: oursDir, executionProvider: args.ep, threads: args.threads, maxBatch: 8, maxQueue: 64, requestTimeoutMs: 0 });
    const promptIds = engine.codec.encodeChat(
      [{ role: "user", content: "Summarize the search results about the weather in Beijing and Shanghai today." }],
      true,
    );
    await engineRun(engine, promptIds, 8);
    const peer = await transformersJsPeer({ root, name: "bench-model", promptIds, tokens: args.tokens, threads: args.threads, device: args.ep });
    const rawLoop = await rawDecodeLoop({
      modelPath: join(oursDir, "onnx", "model.onnx"),
      graph: args.graph,
      dims: model.dims,
      promptIds,
      tokens: args.tokens,
      threads: args.threads,
      executionProvider: args.ep,
    });
    const peerIds = await peer.greedyIds(args.tokens);
    let engineIds: readonly number[] = [];
    for await (const event of engine.scheduler.submit({ promptIds, params: { ...DEFAULT_SAMPLING, temperature: 0, maxTokens: args.tokens } })) {
      if (event.type === "finish") engineIds = event.tokenIds;
    }
    const sameTokens = peerIds.length === engineIds.length && peerIds.every((id, index) => id === engineIds[index]);
    // Interleave the three so load changes on the machine hit all of them alike.
    const samples: { ours: BatchOneSample[]; theirs: BatchOneSample[]; raw: number[] } = { ours: [], theirs: [], raw: [] };
    for (let repeat = 0; repeat < args.repeats; repeat++) {
      samples.ours.push(await engineBatchOne(engine, promptIds, args.tokens));
      samples.theirs.push(await peer.sample());
      samples.raw.push(await rawLoop.sample());
    }
    await Promise.all([peer.dispose(), rawLoop.release()]);
    const summarize = (list: BatchOneSample[]): BatchOneSample => ({
      ttftMs: median(list.map((item) => item.ttftMs)),
      decodeTokPerS: median(list.map((item) => item.decodeTokPerS)),
    });
    const ours = summarize(samples.ours);
    const theirs = summarize(samples.theirs);
    const raw = { msPerStep: median(samples.raw) };
    const concurrency = new Map<number, number>();
    for (const level of [1, 4, 8]) concurrency.set(level, await aggregate(engine, promptIds, args.tokens, level, args.repeats));
    await engine.release();

    const enginePerToken = 1000 / ours.decodeTokPerS;
    const fmt = (value: number, digits = 1): string => value.toFixed(digits);
    const lines = [
      `Model: hidden ${args.hidden}, ${args.layers} layers, vocab ${model.dims.vocabSize}; prompt ${promptIds.length} tokens; ${args.tokens} new tokens; median of ${args.repeats}; ${args.ep} EP, ONNX Runtime ${await onnxRuntimeVersion()}, ${args.threads} intra-op thread(s); our engine on the ${args.graph} graph, transformers.js on the standard graph; load average at start ${loadavg()[0]?.toFixed(1)}.`,
      "",
      `Greedy output identical to transformers.js: ${sameTokens ? "yes" : "NO"} (${engineIds.length} tokens).`,
      "",
      "| measure | megrez engine | reference | ratio |",
      "|---|---|---|---|",
      `| batch-1 decode tok/s | ${fmt(ours.decodeTokPerS)} | transformers.js ${fmt(theirs.decodeTokPerS)} | ${fmt(ours.decodeTokPerS / theirs.decodeTokPerS, 2)}× |`,
      `| time to first token (ms) | ${fmt(ours.ttftMs, 2)} | transformers.js ${fmt(theirs.ttftMs, 2)} | ${fmt(theirs.ttftMs / ours.ttftMs, 2)}× faster |`,
      `| ms per decode token | ${fmt(enginePerToken, 3)} | raw session.run ${fmt(raw.msPerStep, 3)} | +${fmt((enginePerToken / raw.msPerStep - 1) * 100)}% overhead |`,
      ...[1, 4, 8].map(
        (level) =>
          `| aggregate tok/s, ${level} concurrent | ${fmt(concurrency.get(level) ?? 0)} | 1 concurrent ${fmt(concurrency.get(1) ?? 0)} | ${fmt((concurrency.get(level) ?? 0) / (concurrency.get(1) ?? 1), 2)}× |`,
      ),
    ];
    console.log(lines.join("\n"));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
