import { describe, expect, it } from "vitest";
import { formatSSEFrame, parseSSEEvents, SSE_HEADERS, toSSEStream } from "../../../agent/event-stream";
import type { ChatEvent } from "../../../agent/events";
import { sleep } from "./fakes";

const events: ChatEvent[] = [
  { type: "start", id: "r", model: "m", created: 1 },
  { type: "text-delta", delta: 'line one\nline two: "quoted" 中文 [1]' },
  { type: "citation", index: 1, url: "https://a.example/?q=1&b=2", title: "A", start: 28, end: 31 },
  { type: "finish", reason: "stop", usage: { promptTokens: 3, completionTokens: 4 } },
];

async function* slowly(items: ChatEvent[], delayMs: number): AsyncGenerator<ChatEvent> {
  for (const item of items) {
    await sleep(delayMs);
    yield item;
  }
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe("event stream", () => {
  it("frames each event with id, event name and JSON data", async () => {
    const text = await readAll(toSSEStream(slowly(events.slice(0, 2), 0), { keepAliveMs: 0, startId: 7 }));
    expect(text).toBe(
      'id: 7\nevent: start\ndata: {"type":"start","id":"r","model":"m","created":1}\n\n' +
        'id: 8\nevent: text-delta\ndata: {"type":"text-delta","delta":"line one\\nline two: \\"quoted\\" 中文 [1]"}\n\n',
    );
    expect(formatSSEFrame(events[3]!, 0).split("\n").slice(0, 2)).toStrictEqual(["id: 0", "event: finish"]);
    expect(SSE_HEADERS["content-type"]).toMatch(/^text\/event-stream/);
    expect(SSE_HEADERS["x-accel-buffering"]).toBe("no");
  });

  it("round-trips through parseSSEEvents, byte by byte, with keep-alive comments in between", async () => {
    const text = await readAll(toSSEStream(slowly(events, 40), { keepAliveMs: 15 }));
    expect(text).toContain(": keep-alive\n\n");
    const bytes = new TextEncoder().encode(text);
    async function* byteByByte() {
      for (const byte of bytes) yield new Uint8Array([byte]);
    }
    const parsed = [];
    for await (const item of parseSSEEvents(byteByByte())) parsed.push(item);
    expect(parsed.map((item) => item.event)).toStrictEqual(events);
    expect(parsed.map((item) => item.id)).toStrictEqual(["0", "1", "2", "3"]);
  });

  it("rejects frames that are not ChatEvents", async () => {
    const bad = parseSSEEvents(
      (async function* () {
        yield 'event: nope\ndata: {"type":"nope"}\n\n';
      })(),
    );
    await expect(bad.next()).rejects.toThrow(/invalid event frame/);
  });

  it("stops the event source when the reader cancels", async () => {
    let closed = false;
    async function* endless(): AsyncGenerator<ChatEvent> {
      try {
        for (;;) {
          await sleep(5);
          yield { type: "text-delta", delta: "x" };
        }
      } finally {
        closed = true;
      }
    }
    const reader = toSSEStream(endless(), { keepAliveMs: 0 }).getReader();
    await reader.read();
    await reader.cancel();
    expect(closed).toBe(true);
  });
});
