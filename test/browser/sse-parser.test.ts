/**
 * The widget's SSE frame parser (workers/widget/client/sse-parser.ts) on the
 * shapes the worker sends: id/event/data frames, keep-alive comments, frames
 * and CRLF line endings split across network chunks.
 */
import { describe, expect, it } from "vitest";
import { createSseParser } from "../../workers/widget/client/sse-parser";

describe("createSseParser", () => {
  it("reads id, event and data, and skips keep-alive comments", () => {
    const parser = createSseParser();
    const frames = parser.push(': keep-alive\n\nid: 1\nevent: text-delta\ndata: {"type":"text-delta","delta":"a"}\n\n: keep-alive\n\n');
    expect(frames).toEqual([{ id: "1", event: "text-delta", data: '{"type":"text-delta","delta":"a"}' }]);
  });

  it("keeps a frame split across chunks until its blank line", () => {
    const parser = createSseParser();
    expect(parser.push("id: 7\nda")).toEqual([]);
    expect(parser.push('ta: {"x":')).toEqual([]);
    expect(parser.push('1}\n')).toEqual([]);
    expect(parser.push("\n")).toEqual([{ id: "7", event: "message", data: '{"x":1}' }]);
  });

  it("treats a CRLF split between chunks as one line ending", () => {
    const parser = createSseParser();
    expect(parser.push("data: a\r")).toEqual([]);
    expect(parser.push("\ndata: b\r\n\r")).toEqual([]);
    expect(parser.push("\n")).toEqual([{ id: undefined, event: "message", data: "a\nb" }]);
  });

  it("keeps the last id for frames that do not repeat it", () => {
    const parser = createSseParser();
    expect(parser.push("id: 3\ndata: x\n\ndata: y\n\n").map((frame) => frame.id)).toEqual(["3", "3"]);
  });
});
