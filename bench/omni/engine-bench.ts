/**
 * The published Megrez-3B-Omni speed setup on our engine: N concurrent requests, each ~128 text tokens plus the
 * 720×1480 sample image (448 image tokens), greedy, 128 output tokens (ignore_eos). Prefill time = the same batch
 * with 1 output token; decode rate = the tokens sampled after every request holds its first token, over the time from
 * then to the last finish (each finish event says when its first token came). Media preparation (decode, slicing, vision tower) is timed
 * on its own, once per request, before the requests are queued.
 */
import { readFileSync } from "node:fs";
import type { Engine } from "../../container/engine/create-engine";
import { DEFAULT_SAMPLING } from "../../container/engine/sampling-params";
import type { OmniPrompt } from "../../container/omni/omni-prompt";
import { type MessageWithMedia, OmniSupport } from "../../container/omni/omni-support";
import { median } from "../median";

const FIXTURES = new URL("../../test/fixtures/omni/", import.meta.url);
const FILLER =
  "Megrez-3B-Omni reads images and audio as well as text. Describe the picture in detail: the people, the objects, the colours, the text that appears in it, and what is probably happening. ";

export type EngineFigures = {
  promptTokens: number;
  textTokens: number;
  imageTokens: number;
  prepareMsPerImage: number;
  prefillMs: number;
  totalMs: number;
  prefillTokPerS: number;
  decodeTokPerS: number;
  outputTokens: number;
};

/** A user text of about `tokens` plain-text tokens. */
export function textOfTokens(engine: Engine, tokens: number): string {
  let text = FILLER.repeat(Math.ceil((tokens * 8) / FILLER.length) + 1);
  while (engine.codec.encodePlainText(text).length > tokens) text = text.slice(0, -1);
  return text;
}

async function runBatch(engine: Engine, prompts: OmniPrompt[], maxTokens: number): Promise<{ ms: number; outputTokens: number; decodeMs: number }> {
  const params = { ...DEFAULT_SAMPLING, temperature: 0, maxTokens, ignoreEos: true };
  const started = performance.now();
  const runs = await Promise.all(
    prompts.map(async (prompt) => {
      for await (const event of engine.scheduler.submit({ promptIds: prompt.promptIds, params, embeddingSplices: prompt.splices })) {
        if (event.type === "finish")
          return { tokens: event.usage.completionTokens, firstTokenAt: event.firstTokenAt ?? started, finishedAt: performance.now() };
        if (event.type === "error") throw event.error;
      }
      return { tokens: 0, firstTokenAt: started, finishedAt: performance.now() };
    }),
  );
  const decodeMs = Math.max(...runs.map((run) => run.finishedAt)) - Math.max(...runs.map((run) => run.firstTokenAt));
  return { ms: performance.now() - started, outputTokens: runs.reduce((sum, run) => sum + run.tokens, 0), decodeMs };
}

export async function engineBench(
  engine: Engine,
  options: { concurrency: number; textTokens: number; outputTokens: number; repeats: number; image?: Uint8Array; distinctPrompts?: number },
): Promise<EngineFigures> {
  const omni = engine.media;
  if (!(omni instanceof OmniSupport)) throw new Error("the engine has no Omni embedder (megrez_omni in config.json, mediaEmbedder: loadOmniEmbedder)");
  const image = Buffer.from(options.image ?? readFileSync(new URL("sample_image.jpg", FIXTURES))).toString("base64");
  const text = textOfTokens(engine, options.textTokens);
  const messages: MessageWithMedia[] = [{ role: "user", content: text, media: [{ kind: "image", source: { type: "data", base64: image } }] }];
  const prepareTimes: number[] = [];
  const prompts: OmniPrompt[] = [];
  // Every request carries the same image: `distinctPrompts` of them are prepared (and timed), the rest reuse them.
  const distinct = Math.min(options.concurrency, options.distinctPrompts ?? options.concurrency);
  for (let i = 0; i < options.concurrency; i++) {
    const started = performance.now();
    prompts.push(i < distinct ? await omni.prepare(messages, true) : prompts[i % distinct]!);
    if (i < distinct) prepareTimes.push(performance.now() - started);
  }
  const first = prompts[0]!;
  await runBatch(engine, prompts.slice(0, 1), 2); // warm-up
  const prefill: number[] = [];
  const total: number[] = [];
  const decode: number[] = [];
  let outputTokens = 0;
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    prefill.push((await runBatch(engine, prompts, 1)).ms);
    const run = await runBatch(engine, prompts, options.outputTokens);
    total.push(run.ms);
    decode.push(run.decodeMs);
    outputTokens = run.outputTokens;
  }
  const prefillMs = median(prefill);
  const totalMs = median(total);
  const promptTokens = first.promptIds.length;
  return {
    promptTokens,
    textTokens: engine.codec.encodePlainText(text).length,
    imageTokens: first.imageTokens,
    prepareMsPerImage: median(prepareTimes),
    prefillMs,
    totalMs,
    prefillTokPerS: (promptTokens * options.concurrency) / (prefillMs / 1000),
    decodeTokPerS: (outputTokens - options.concurrency) / (median(decode) / 1000),
    outputTokens,
  };
}
