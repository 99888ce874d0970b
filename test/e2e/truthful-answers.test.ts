/**
 * Issue "the chat API tells the truth", end to end with the real engine
 * process behind `wrangler dev`: the same request at temperature 0 (or with a
 * seed) gives the same answer; a client that goes away cancels the engine's
 * work, as the engine's own counters show (streaming, and /api/chat's cancel;
 * a non-streaming client's disconnect is tested in workerd,
 * test/workers/api/truthful-answers.test.ts, because `wrangler dev`'s proxy
 * does not pass a client's disconnect on to the worker); and an engine
 * killed mid-answer reaches the clients as a failure, streaming or not. The
 * demo model decodes greedily to max_tokens, so its answers are long enough
 * to be interrupted: LONG_ANSWER tokens fill most of its 4 096-token context,
 * several seconds of engine work even on an idle machine, so a cancel slowed
 * down by a loaded machine still finds the engine at work. The kill comes
 * last: it ends this file's engine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSSEFrames } from "../../agent/sse-frames";
import { startTestStack, type TestStack } from "../support/stack";

let stack: TestStack;

/** Tokens in a long answer (the demo model's context is 4 096, the prompt a few hundred). */
const LONG_ANSWER = 3_000;

beforeAll(async () => {
  stack = await startTestStack({ SEARCH_MODE: "never", AGENT_CONFIG: JSON.stringify({ budgets: { chatMaxTokens: LONG_ANSWER } }) });
});

afterAll(async () => {
  await stack?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function engineCounter(name: string): Promise<number> {
  const text = await (await fetch(`${stack.engineUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`));
  return line ? Number(line.trim().split(/\s+/).pop()) : Number.NaN;
}

/** Waits until the engine counted one more cancelled request than `before`. */
async function expectEngineCancelled(before: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if ((await engineCounter("engine_requests_cancelled_total")) > before) return;
    await sleep(100);
  }
  expect(await engineCounter("engine_requests_cancelled_total")).toBeGreaterThan(before);
}

const completions = (body: Record<string, unknown>, signal?: AbortSignal) =>
  fetch(`${stack.workerUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "megrez", ...body }),
    ...(signal ? { signal } : {}),
  });

const longAnswer = (stream: boolean) => ({
  messages: [{ role: "user", content: "Write a long story about the sea." }],
  max_tokens: LONG_ANSWER,
  temperature: 0,
  stream,
});

describe("5. sampling is reproducible", () => {
  it("gives the same answer to the same request at temperature 0, and with a seed", async () => {
    const answer = async (extra: Record<string, unknown>) => {
      const res = await completions({ messages: [{ role: "user", content: "What does the engine serve?" }], max_tokens: 24, ...extra });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { choices: { message: { content: string } }[] };
      return body.choices[0]!.message.content;
    };
    const greedy: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      greedy.push(await answer({ temperature: 0 }));
      // Across a second boundary: a clock in the prompt would change it.
      await sleep(600);
    }
    expect(new Set(greedy).size).toBe(1);
    const seeded = [await answer({ temperature: 1, seed: 11 }), await answer({ temperature: 1, seed: 11 })];
    expect(seeded[1]).toBe(seeded[0]);
  });
});

describe("3. cancellation reaches the engine", () => {
  it("/v1, streaming: the client stops reading", async () => {
    const before = await engineCounter("engine_requests_cancelled_total");
    const res = await completions(longAnswer(true));
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    await expectEngineCancelled(before);
  });

  it("/api/chat: the Stop button's cancel", async () => {
    const before = await engineCounter("engine_requests_cancelled_total");
    const res = await fetch(`${stack.workerUrl}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "Write a long story about the sea.", search: "never" }),
    });
    const sessionId = res.headers.get("x-session-id")!;
    const frames = readSSEFrames(res.body!)[Symbol.asyncIterator]();
    for (;;) {
      const frame = await frames.next();
      if (frame.done || frame.value.event === "text-delta") break;
    }
    const cancelled = await fetch(`${stack.workerUrl}/api/chat/${sessionId}/cancel`, { method: "POST" });
    expect(await cancelled.json()).toMatchObject({ cancelled: true });
    await expectEngineCancelled(before);
    await frames.return?.(undefined);
  });
});

describe("1. the engine process killed mid-answer", () => {
  it("reaches a streaming client as an error frame and a waiting one as 502; afterwards, 502", async () => {
    const streamed = await completions(longAnswer(true));
    const waiting = completions(longAnswer(false));
    const frames = readSSEFrames(streamed.body!)[Symbol.asyncIterator]();
    const data: string[] = [];
    while (data.length < 4) {
      const frame = await frames.next();
      if (frame.done) break;
      data.push(frame.value.data);
    }
    const engine = stack.processes.find((p) => p.name === "engine")!;
    process.kill(-engine.child.pid!, "SIGKILL");
    for (;;) {
      const frame = await frames.next();
      if (frame.done) break;
      data.push(frame.value.data);
    }
    const chunks = data.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d) as { choices?: { finish_reason: string | null }[]; error?: { code: string } });
    expect(data).not.toContain("[DONE]");
    expect(chunks.flatMap((c) => c.choices ?? []).filter((c) => c.finish_reason !== null)).toEqual([]);
    expect(chunks.at(-1)?.error?.code).toBe("engine_unavailable");

    const plain = await waiting;
    expect(plain.status).toBe(502);
    const after = await completions({ messages: [{ role: "user", content: "Still there?" }], max_tokens: 8 });
    expect(after.status).toBe(502);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe("engine_unavailable");
  });
});
