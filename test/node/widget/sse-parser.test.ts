/**
 * The SSE frame reader the widget bundles (agent/sse-frames.ts, shared with the
 * model client), on the shapes the worker sends: id/event/data frames, keep-alive
 * comments, frames, CRLF line endings and UTF-8 characters split across network
 * chunks, the last id carried to frames without one (what resume sends back),
 * and a frame cut off by the end of the stream dropped rather than taken as whole.
 */
import { describe, expect, it } from "vitest";
import { readSSEFrames, type SSEFrame } from "../../../agent/sse-frames";

async function framesOf(chunks: readonly string[]): Promise<SSEFrame[]> {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  const frames: SSEFrame[] = [];
  for await (const frame of readSSEFrames(stream)) frames.push(frame);
  return frames;
}

describe("readSSEFrames, as the widget uses it", () => {
  it("reads id, event and data, and skips keep-alive comments", async () => {
    const frames = await framesOf([': keep-alive\n\nid: 1\nevent: text-delta\ndata: {"type":"text-delta","delta":"a"}\n\n: keep-alive\n\n']);
    expect(frames).toEqual([{ id: "1", event: "text-delta", data: '{"type":"text-delta","delta":"a"}' }]);
  });

  it("keeps a frame split across chunks until its blank line", async () => {
    expect(await framesOf(["id: 7\nda", 'ta: {"x":', "1}\n", "\n"])).toEqual([{ id: "7", data: '{"x":1}' }]);
  });

  it("treats a CRLF split between chunks as one line ending", async () => {
    expect(await framesOf(["data: a\r", "\ndata: b\r\n\r", "\n"])).toEqual([{ data: "a\nb" }]);
  });

  it("keeps the last id for frames that do not repeat it", async () => {
    expect((await framesOf(["id: 3\ndata: x\n\ndata: y\n\nid: 4\ndata: z\n\n"])).map((frame) => frame.id)).toEqual(["3", "3", "4"]);
  });

  it("decodes a multi-byte character split across chunks", async () => {
    const bytes = new TextEncoder().encode("data: 北京\n\n");
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 8));
        controller.enqueue(bytes.slice(8));
        controller.close();
      },
    });
    const frames: SSEFrame[] = [];
    for await (const frame of readSSEFrames(stream)) frames.push(frame);
    expect(frames).toEqual([{ data: "北京" }]);
  });

  it("drops a frame that the end of the stream cut off before its blank line", async () => {
    expect(await framesOf(['data: {"a":1}\n\ndata: {"b":', "2}\n"])).toEqual([{ data: '{"a":1}' }]);
  });
});
