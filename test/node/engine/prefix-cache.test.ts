/**
 * Automatic prefix caching: a prompt that starts with a recently seen prompt prefills only its
 * new tokens, and every request still gets exactly the tokens it gets with the cache off:
 * the next turn of a conversation, a batch mixing hits and misses, a repeated prompt. The
 * cache stays within its byte budget.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../../container/engine/create-engine";
import { greedy, makeTestModel, runToEnd, testEngine } from "./support/test-engine";

const model = makeTestModel(27);
let cached: Engine;
let plain: Engine;
beforeAll(async () => {
  cached = await testEngine(model, { prefixCacheBytes: 64 * 2 ** 20 });
  plain = await testEngine(model);
});
afterAll(async () => {
  await Promise.all([cached.release(), plain.release()]);
  model.cleanup();
});

const chat = (engine: Engine, turns: { role: string; content: string }[]) => engine.codec.encodeChat(turns, true);

describe("prefix cache", () => {
  it("serves the next turn of a conversation from the cache, with the same tokens as without it", async () => {
    const first = chat(cached, [{ role: "user", content: "What does the search agent do with the pages it reads?" }]);
    const firstRun = await runToEnd(cached, { promptIds: first, params: greedy({ maxTokens: 12 }) });
    expect(cached.metrics.prefixCacheHitTokensTotal).toBe(0);
    const answer = cached.codec.decode(firstRun.tokenIds, true);
    const second = chat(cached, [
      { role: "user", content: "What does the search agent do with the pages it reads?" },
      { role: "assistant", content: answer },
      { role: "user", content: "And how are the sources cited?" },
    ]);
    expect(second.slice(0, first.length)).toEqual(first);
    const withCache = await runToEnd(cached, { promptIds: second, params: greedy({ maxTokens: 16 }) });
    expect(cached.metrics.prefixCacheHitTokensTotal).toBe(first.length);
    const withoutCache = await runToEnd(plain, { promptIds: second, params: greedy({ maxTokens: 16 }) });
    expect(withCache.tokenIds).toEqual(withoutCache.tokenIds);
    expect(plain.metrics.prefixCacheHitTokensTotal).toBe(0);
  });

  it("admits hits and misses in one batch, each with its own tokens", async () => {
    const shared = chat(cached, [
      { role: "system", content: "Answer briefly and cite the numbered sources you were given." },
      { role: "user", content: "Weather in Beijing?" },
    ]);
    await runToEnd(cached, { promptIds: shared, params: greedy({ maxTokens: 2 }) });
    const before = cached.metrics.prefixCacheHitTokensTotal;
    const prompts = [
      chat(cached, [
        { role: "system", content: "Answer briefly and cite the numbered sources you were given." },
        { role: "user", content: "Weather in Shanghai today, and tomorrow?" },
      ]),
      chat(cached, [{ role: "user", content: "介绍一下无问芯穹" }]),
      shared,
    ];
    const together = await Promise.all(prompts.map((promptIds) => runToEnd(cached, { promptIds, params: greedy({ maxTokens: 14 }) })));
    const alone = [];
    for (const promptIds of prompts) alone.push(await runToEnd(plain, { promptIds, params: greedy({ maxTokens: 14 }) }));
    expect(together.map((run) => run.tokenIds)).toEqual(alone.map((run) => run.tokenIds));
    // The system-prompt prefix for the first, all but the last token for the repeated one.
    expect(cached.metrics.prefixCacheHitTokensTotal - before).toBeGreaterThanOrEqual(16 + shared.length - 1);
  });

  it("keeps within its byte budget, evicting the least recently used prompts", async () => {
    // Own system prompts, so they share no cacheable prefix; the budget holds one prompt's KV
    // (512 bytes per token for the demo model) but not two, so each new prompt evicts the one before.
    const prompts = ["search layer", "widget", "digests"].map((topic) =>
      chat(cached, [
        { role: "system", content: `${topic}: you explain it for megrez-edge.` },
        { role: "user", content: `${topic} in detail: what it does, how it is configured, how it fails, and how it is tested.` },
      ]),
    );
    const sizes = prompts.map((promptIds) => promptIds.length * 512);
    const budget = Math.floor(Math.max(...sizes) * 1.5);
    expect(Math.min(...sizes)).toBeGreaterThan(budget / 2);
    const small = await testEngine(model, { prefixCacheBytes: budget });
    try {
      for (const promptIds of prompts) await runToEnd(small, { promptIds, params: greedy({ maxTokens: 1 }) });
      expect(small.metrics.prefixCacheHitTokensTotal).toBe(0);
      expect(small.metrics.prefixCacheBytes).toBeGreaterThan(0);
      expect(small.metrics.prefixCacheBytes).toBeLessThanOrEqual(budget);
      await runToEnd(small, { promptIds: prompts[0] ?? [], params: greedy({ maxTokens: 1 }) });
      expect(small.metrics.prefixCacheHitTokensTotal).toBe(0);
      const latest = prompts[0] ?? [];
      await runToEnd(small, { promptIds: latest, params: greedy({ maxTokens: 1 }) });
      expect(small.metrics.prefixCacheHitTokensTotal).toBe(latest.length - 1);
      expect(small.metrics.toPrometheus({ model: "m" })).toContain(`engine_prefix_cache_hit_tokens_total{model="m"} ${latest.length - 1}`);
    } finally {
      await small.release();
    }
  });
});
