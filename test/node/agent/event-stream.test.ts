import { describe, expect, it } from "vitest";
import { parseSSEEvents } from "../../../agent/event-stream";
import type { ChatEvent } from "../../../agent/events";

const events: ChatEvent[] = [
  { type: "start", id: "r", model: "m", created: 1 },
  { type: "text-delta", delta: 'line one\nline two: "quoted" 中文 [1]' },
  { type: "citation", index: 1, url: "https://a.example/?q=1&b=2", title: "A", start: 28, end: 31 },
  { type: "finish", reason: "stop", usage: { promptTokens: 3, completionTokens: 4 } },
];

/** The worker's frame syntax (workers/sse-stream.ts), written out by hand. */
const wire = events.map((event, id) => `${id === 2 ? ": keep-alive\n\n" : ""}id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join("");

describe("parseSSEEvents", () => {
  it("reads the worker's frames back, byte by byte, skipping keep-alive comments", async () => {
    const bytes = new TextEncoder().encode(wire);
    async function* byteByByte() {
      for (const byte of bytes) yield new Uint8Array([byte]);
    }
    const parsed = [];
    for await (const item of parseSSEEvents(byteByByte())) parsed.push(item);
    expect(parsed.map((item) => item.event)).toStrictEqual(events);
    expect(parsed.map((item) => item.id)).toStrictEqual(["0", "1", "2", "3"]);
  });

  it("rejects frames that are not ChatEvents, or whose event name is not their type", async () => {
    const bad = parseSSEEvents(
      (async function* () {
        yield 'event: nope\ndata: {"type":"nope"}\n\n';
      })(),
    );
    await expect(bad.next()).rejects.toThrow(/invalid event frame/);
    const misnamed = parseSSEEvents(
      (async function* () {
        yield 'event: finish\ndata: {"type":"status","stage":"writing"}\n\n';
      })(),
    );
    await expect(misnamed.next()).rejects.toThrow(/does not match/);
  });
});
