/**
 * Throughput sections of the GPU check, through the whole engine (scheduler, sampler, media embedder):
 *  - the seed's speed setup: 8 concurrent × (≈128 text tokens + the 720×1480 sample image = 448 image tokens) →
 *    128 output tokens, greedy, ignore_eos (bench/omni/engine-bench.ts); prefill and aggregate decode tok/s;
 *  - 32 concurrent sequences against 8: aggregate decode tok/s of text prompts of the same length.
 */
import type { Engine } from "../../container/engine/create-engine";
import { DEFAULT_SAMPLING } from "../../container/engine/sampling-params";
import { median } from "../median";
import { type EngineFigures, engineBench, textOfTokens } from "../omni/engine-bench";

export async function seedSpeedSetup(
  engine: Engine,
  options: { image: Uint8Array; outputTokens: number; repeats: number; distinctPrompts: number },
): Promise<EngineFigures> {
  return engineBench(engine, { concurrency: 8, textTokens: 128, ...options });
}

/**
 * Aggregate decode tok/s of `concurrency` copies of a prompt: once every sequence holds its first token (its prefill
 * is done), they decode together; the rate counts the tokens sampled from then until the last one finishes.
 */
async function decodeRate(engine: Engine, promptIds: number[], concurrency: number, maxTokens: number): Promise<number> {
  const params = { ...DEFAULT_SAMPLING, temperature: 0, maxTokens, ignoreEos: true };
  const runs = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for await (const event of engine.scheduler.submit({ promptIds, params })) {
        if (event.type === "error") throw event.error;
        if (event.type === "finish") return { firstTokenAt: event.firstTokenAt ?? Number.NaN, finishedAt: performance.now() };
      }
      throw new Error("a generation ended without finishing");
    }),
  );
  const decodeStart = Math.max(...runs.map((run) => run.firstTokenAt));
  const decodeEnd = Math.max(...runs.map((run) => run.finishedAt));
  return (concurrency * (maxTokens - 1)) / ((decodeEnd - decodeStart) / 1000);
}

export interface ConcurrencyFigures {
  promptTokens: number;
  outputTokens: number;
  /** Aggregate decode tok/s by concurrency. */
  decodeTokPerS: Map<number, number>;
}

/** Aggregate decode rate at each concurrency (median over repeats), after a warm-up. */
export async function concurrencyScaling(
  engine: Engine,
  options: { promptTokens: number; outputTokens: number; levels: readonly number[]; repeats: number },
): Promise<ConcurrencyFigures> {
  const promptIds = engine.codec.encodeChat([{ role: "user", content: textOfTokens(engine, options.promptTokens) }], true);
  await decodeRate(engine, promptIds, 1, 2);
  const decodeTokPerS = new Map<number, number>();
  for (const level of options.levels) {
    const rates: number[] = [];
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      rates.push(await decodeRate(engine, promptIds, level, options.outputTokens));
    }
    decodeTokPerS.set(level, median(rates));
  }
  return { promptTokens: promptIds.length, outputTokens: options.outputTokens, decodeTokPerS };
}
