/**
 * The worker's one SSE writer (workers/sse-stream.ts), inside workerd: frame
 * syntax, headers, keep-alive only while idle, cancellation reaching the
 * source, and the finish guarantee.
 */
import { describe, expect, it } from "vitest";
import type { ChatEvent } from "../../agent/events";
import { jsonFrame, KEEP_ALIVE_FRAME, sseFrame, sseResponse, withFinish } from "../../workers/sse-stream";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function* slowly<T>(items: T[], delayMs: number): AsyncGenerator<T> {
  for (const item of items) {
    await sleep(delayMs);
    yield item;
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const finish: ChatEvent = { type: "finish", reason: "stop", usage: { promptTokens: 1, completionTokens: 2 } };

describe("sseFrame", () => {
  it("writes id, event and one data line per payload line", () => {
    expect(jsonFrame({ type: "start", text: 'a\nb "c" 中文' }, { id: 7, event: "start" })).toBe(
      'id: 7\nevent: start\ndata: {"type":"start","text":"a\\nb \\"c\\" 中文"}\n\n',
    );
    expect(sseFrame({ data: "[DONE]" })).toBe("data: [DONE]\n\n");
    expect(sseFrame({ event: "e", data: "one\ntwo" })).toBe("event: e\ndata: one\ndata: two\n\n");
  });
});

describe("sseResponse", () => {
  it("sends the SSE headers and the frames in order", async () => {
    const res = sseResponse(slowly(["data: 1\n\n", "data: 2\n\n"], 0), { keepAliveMs: 0, headers: { "x-session-id": "s" } });
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache, no-transform");
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    expect(res.headers.get("x-session-id")).toBe("s");
    expect(await res.text()).toBe("data: 1\n\ndata: 2\n\n");
  });

  it("sends a keep-alive comment only while nothing else is written", async () => {
    const idle = await sseResponse(slowly(["data: 1\n\n", "data: 2\n\n"], 120), { keepAliveMs: 30 }).text();
    expect(idle).toContain(KEEP_ALIVE_FRAME);
    expect(idle.endsWith("data: 2\n\n")).toBe(true);
    const busy = await sseResponse(
      slowly(
        Array.from({ length: 10 }, (_, i) => `data: ${i}\n\n`),
        5,
      ),
      { keepAliveMs: 200 },
    ).text();
    expect(busy).not.toContain(KEEP_ALIVE_FRAME);
  });

  it("tells the route when the client goes away and stops the source", async () => {
    let closed = false;
    let cancelled = 0;
    async function* endless(): AsyncGenerator<string> {
      try {
        for (;;) {
          await sleep(5);
          yield "data: x\n\n";
        }
      } finally {
        closed = true;
      }
    }
    const reader = sseResponse(endless(), { keepAliveMs: 0, onCancel: () => (cancelled += 1) }).body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(cancelled).toBe(1);
    expect(closed).toBe(true);
  });

  it("breaks the stream off (not a clean end) when the source throws", async () => {
    const errors: unknown[] = [];
    async function* broken(): AsyncGenerator<string> {
      yield "data: 1\n\n";
      throw new Error("boom");
    }
    const res = sseResponse(broken(), { keepAliveMs: 0, onError: (err) => errors.push(err) });
    await expect(res.text()).rejects.toThrow();
    expect(errors).toHaveLength(1);
  });
});

describe("withFinish", () => {
  it("passes a finished answer through and stops reading at its finish", async () => {
    const events: ChatEvent[] = [{ type: "text-delta", delta: "a" }, finish, { type: "text-delta", delta: "late" }];
    expect(await collect(withFinish(slowly(events, 0), () => undefined))).toStrictEqual(events.slice(0, 2));
  });

  it("ends an answer that stopped or threw without finish with an error and finish(error)", async () => {
    const failures: unknown[] = [];
    const cut = await collect(withFinish(slowly<ChatEvent>([{ type: "text-delta", delta: "a" }], 0), (err) => failures.push(err)));
    expect(cut.map((e) => e.type)).toStrictEqual(["text-delta", "error", "finish"]);
    expect(cut.at(-1)).toMatchObject({ type: "finish", reason: "error" });
    async function* throwing(): AsyncGenerator<ChatEvent> {
      yield { type: "text-delta", delta: "a" };
      throw new Error("boom");
    }
    const thrown = await collect(withFinish(throwing(), (err) => failures.push(err)));
    expect(thrown.slice(1)).toMatchObject([
      { type: "error", code: "internal" },
      { type: "finish", reason: "error" },
    ]);
    expect(failures).toHaveLength(2);
  });
});
