/**
 * Prefix cache benchmark (`npx tsx bench/engine/prefix-cache.ts`): time to first token of a
 * conversation's second turn, engine with the prefix cache vs the same engine without it, in one
 * run on one generated model. Turn 1 carries a long document (docs/agent.md), turn 2 a short
 * follow-up question (a different one each repeat, so what is reused is the conversation so far).
 * Options: --hidden N --layers N (model size, default 256 × 4), --repeats N (default 5),
 * --document-chars N (default 3000).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { type Engine, createEngine } from "../../container/engine/create-engine";
import { DEFAULT_SAMPLING } from "../../container/engine/sampling-params";
import { writeBenchModel } from "./bench-model";
import { median } from "../median";

const argsSchema = z.object({
  hidden: z.coerce.number().int().min(16).default(256),
  layers: z.coerce.number().int().min(1).default(4),
  repeats: z.coerce.number().int().min(1).default(5),
  "document-chars": z.coerce.number().int().min(100).default(3000),
});

async function firstTokenMs(engine: Engine, promptIds: number[]): Promise<{ ms: number; ids: readonly number[] }> {
  const started = performance.now();
  let ids: readonly number[] = [];
  for await (const event of engine.scheduler.submit({ promptIds, params: { ...DEFAULT_SAMPLING, temperature: 0, maxTokens: 1 } })) {
    if (event.type === "finish") ids = event.tokenIds;
  }
  return { ms: performance.now() - started, ids };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { hidden: { type: "string" }, layers: { type: "string" }, repeats: { type: "string" }, "document-chars": { type: "string" } },
  });
  const args = argsSchema.parse(values);
  const root = mkdtempSync(join(tmpdir(), "prefix-bench-"));
  try {
    const modelDir = join(root, "model");
    writeBenchModel(modelDir, { hidden: args.hidden, layers: args.layers, seed: 5 });
    const options = { modelDir, executionProvider: "cpu" as const, threads: 1, maxBatch: 8, maxQueue: 16, requestTimeoutMs: 0 };
    const cached = await createEngine({ ...options, prefixCacheBytes: 512 * 2 ** 20 });
    const plain = await createEngine(options);
    const document = readFileSync(new URL("../../docs/agent.md", import.meta.url), "utf8").slice(0, args["document-chars"]);
    const turnOne = [
      { role: "system", content: "Answer from the document and cite it." },
      { role: "user", content: `${document}\n\nSummarize the document.` },
    ];
    const firstPrompt = cached.codec.encodeChat(turnOne, true);
    const answer = await cached.scheduler.submit({ promptIds: firstPrompt, params: { ...DEFAULT_SAMPLING, temperature: 0, maxTokens: 24 } });
    let answerIds: readonly number[] = [];
    for await (const event of answer) if (event.type === "finish") answerIds = event.tokenIds;
    await firstTokenMs(plain, firstPrompt);
    const withCache: number[] = [];
    const without: number[] = [];
    let promptTokens = 0;
    let same = true;
    for (let repeat = 0; repeat < args.repeats; repeat++) {
      const turnTwo = [
        ...turnOne,
        { role: "assistant", content: cached.codec.decode(answerIds, true) },
        { role: "user", content: `Follow-up question number ${repeat + 1}: which part matters most?` },
      ];
      const promptIds = cached.codec.encodeChat(turnTwo, true);
      promptTokens = promptIds.length;
      const hit = await firstTokenMs(cached, promptIds);
      const miss = await firstTokenMs(plain, promptIds);
      same &&= hit.ids.join() === miss.ids.join();
      withCache.push(hit.ms);
      without.push(miss.ms);
    }
    const hitTokens = cached.metrics.prefixCacheHitTokensTotal / args.repeats;
    await Promise.all([cached.release(), plain.release()]);
    const on = median(withCache);
    const off = median(without);
    console.log(
      `Model: hidden ${args.hidden}, ${args.layers} layers; CPU EP, 1 thread; second turn of ${promptTokens} prompt tokens, ${hitTokens.toFixed(0)} of them cached; median of ${args.repeats}.`,
    );
    console.log("| measure | with prefix cache | without | ratio |");
    console.log("|---|---|---|---|");
    console.log(`| time to first token, turn 2 | ${on.toFixed(1)} ms | ${off.toFixed(1)} ms | ${(off / on).toFixed(2)}× faster |`);
    console.log(`| first token identical | ${same ? "yes" : "NO"} | | |`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
