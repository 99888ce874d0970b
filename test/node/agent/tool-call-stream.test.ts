import { describe, expect, it } from "vitest";
import { ToolCallStreamParser, type StreamPart } from "../../../agent/tool-call-stream";
import { parseToolCall } from "../../../agent/tool-call";

function feed(chunks: string[]): StreamPart[] {
  const parser = new ToolCallStreamParser();
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.finish()];
}

describe("ToolCallStreamParser", () => {
  it("passes plain text through and holds back a possible special-token prefix", () => {
    const parser = new ToolCallStreamParser();
    expect(parser.push("Hello <")).toStrictEqual([{ type: "text", text: "Hello " }]);
    expect(parser.push("b>")).toStrictEqual([{ type: "text", text: "<b>" }]);
    expect(parser.push("a <|fun")).toStrictEqual([{ type: "text", text: "a " }]);
    expect(parser.push("ny|> z")).toStrictEqual([{ type: "text", text: "<|funny|> z" }]);
  });

  it("finds a call whose special tokens are split across chunks, with text before it", () => {
    const parts = feed(["Let me look. <", "|function_st", 'art|>{"name": "webSearch", ', '"arguments": {"query": "q"}}<|function', "_end|> ignored"]);
    expect(parts).toStrictEqual([
      { type: "text", text: "Let me look. " },
      { type: "tool-call-start" },
      { type: "tool-call", raw: '{"name": "webSearch", "arguments": {"query": "q"}}', terminated: true },
    ]);
  });

  it("splits one-character chunks the same way", () => {
    const text = 'Hi<|function_start|>{"name":"webSearch","arguments":{"query":"x"}}<|function_end|>';
    const parts = feed([...text]);
    expect(parts.filter((part) => part.type !== "text")).toStrictEqual([
      { type: "tool-call-start" },
      { type: "tool-call", raw: '{"name":"webSearch","arguments":{"query":"x"}}', terminated: true },
    ]);
    expect(parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("")).toBe("Hi");
  });

  it("ends the answer at <|turn_end|> and drops what follows", () => {
    expect(feed(["Done.<|turn_", "end|><|role_start|>user"])).toStrictEqual([{ type: "text", text: "Done." }]);
  });

  it("hands over an unterminated call when the stream ends", () => {
    expect(feed(['<|function_start|>{"name": "webSearch"'])).toStrictEqual([
      { type: "tool-call-start" },
      { type: "tool-call", raw: '{"name": "webSearch"', terminated: false },
    ]);
  });
});

describe("parseToolCall", () => {
  const tools = ["webSearch", "googleWebSearch"];
  it("reads object and string arguments and cleans the query", () => {
    expect(parseToolCall('{"name": "googleWebSearch", "arguments": {"query": "a\\nb"}}', tools)).toStrictEqual({
      ok: true,
      name: "googleWebSearch",
      arguments: { query: "a\nb" },
      query: "a b",
    });
    expect(parseToolCall('{"name": "webSearch", "arguments": "{\\"query\\": \\"x\\"}"}', tools)).toMatchObject({ ok: true, query: "x" });
  });
  it("reports bad JSON, unknown tools and a missing query", () => {
    expect(parseToolCall('{"name": "webSearch", "arguments": {"query": }', tools)).toStrictEqual({ ok: false, problem: "invalid-json" });
    expect(parseToolCall('{"name": "calculator", "arguments": {"x": 1}}', tools)).toStrictEqual({
      ok: false,
      problem: "unknown-tool",
      name: "calculator",
      arguments: { x: 1 },
    });
    expect(parseToolCall('{"name": "webSearch", "arguments": {}}', tools)).toMatchObject({ ok: false, problem: "missing-query" });
  });
});
