/**
 * runAgent when the model decides (mode auto): exact event sequences for the
 * plain answer, the searched answer, and the split-token call.
 */
import { describe, expect, it } from "vitest";
import { runAgent } from "../../../agent/run-agent";
import { callText, collect, fakeFetchPage, makeDeps, mergeDeltas, scriptedModel, START } from "./fakes";

const url1 = "https://site1.example/page";
const url2 = "https://site2.example/page";

describe("runAgent, mode auto", () => {
  it("answers without searching when the model does not call the tool", async () => {
    const model = scriptedModel({ chats: [{ chunks: ["Hello", "! How can I ", "help?"] }] });
    const events = await collect(runAgent({ messages: [{ role: "user", content: "hi" }] }, makeDeps(model)));
    expect(events).toStrictEqual([
      START,
      { type: "status", stage: "thinking" },
      { type: "text-delta", delta: "Hello" },
      { type: "text-delta", delta: "! How can I " },
      { type: "text-delta", delta: "help?" },
      {
        type: "finish",
        reason: "stop",
        usage: expect.objectContaining({ promptTokens: expect.any(Number) }),
        turnUsage: expect.objectContaining({ modelCalls: 1 }),
      },
    ]);
    const system = model.chatCalls[0]?.messages[0]?.content ?? "";
    expect(system).toContain('You have access to the following functions. Use them if required -\n{\n    "name": "webSearch",');
    expect(system).toContain("Current date: 2026-11-26, Thursday (Asia/Shanghai).");
    expect(model.chatCalls[0]?.stop).toStrictEqual(["<|turn_end|>"]);
  });

  it("searches, numbers sources by rank, reads pages as they arrive and cites them", async () => {
    const model = scriptedModel({
      chats: [
        { chunks: ['<|function_start|>{"name": "webSearch", "arguments": {"query": "sky color"}}', "<|function_end|>"] },
        { chunks: ["The sky is blue [citation:1]. ", "It scatters light [citation:2][citation:1]."] },
      ],
      completeDelayMs: 40,
    });
    // Page 2 answers first: it is read first, but keeps its rank number 2.
    const deps = makeDeps(model, { fetchPage: fakeFetchPage({ [url1]: 20, [url2]: 1 }) });
    const events = await collect(runAgent({ messages: [{ role: "user", content: "Why is the sky blue?" }] }, deps));
    expect(mergeDeltas(events)).toStrictEqual([
      START,
      { type: "status", stage: "thinking" },
      { type: "tool-call", name: "webSearch", arguments: { query: "sky color" } },
      { type: "status", stage: "searching" },
      { type: "search-start", query: "sky color", round: 0 },
      { type: "search-end", query: "sky color", resultCount: 2 },
      { type: "source", index: 1, url: url1, title: "Title 1", snippet: "Snippet 1.", domain: "site1.example" },
      { type: "source", index: 2, url: url2, title: "Title 2", snippet: "Snippet 2.", domain: "site2.example" },
      { type: "status", stage: "reading", done: 0, total: 2 },
      { type: "page-read", index: 2, outcome: "summarized", done: 1, total: 2 },
      { type: "page-read", index: 1, outcome: "summarized", done: 2, total: 2 },
      { type: "status", stage: "writing" },
      { type: "text-delta", delta: "The sky is blue [1]" },
      { type: "citation", index: 1, url: url1, title: "Title 1", start: 16, end: 19 },
      { type: "text-delta", delta: ". It scatters light [2]" },
      { type: "citation", index: 2, url: url2, title: "Title 2", start: 39, end: 42 },
      { type: "text-delta", delta: "[1]" },
      { type: "citation", index: 1, url: url1, title: "Title 1", start: 42, end: 45 },
      { type: "text-delta", delta: "." },
      { type: "finish", reason: "stop", usage: expect.any(Object), turnUsage: expect.any(Object) },
    ]);
    // Two batches: page 2 alone, then page 1 which arrived while the first batch ran.
    expect(model.completeCalls.map((call) => call.prompts.length)).toStrictEqual([1, 1]);
    expect(model.completeCalls[0]?.prompts[0]).toContain(`url="${url2}"`);
    expect(model.completeCalls[0]?.prompts[0]).toMatch(
      /^<\|role_start\|>system<\|role_end\|>.*<\|turn_end\|><\|role_start\|>user<\|role_end\|>[\s\S]*Question: Why is the sky blue\?\nSearch keywords: sky color\n/,
    );
    const answerCall = model.chatCalls[1]?.messages ?? [];
    expect(answerCall.map((message) => message.role)).toStrictEqual(["system", "user", "assistant", "observation"]);
    expect(answerCall[2]?.content).toBe('<|function_start|>{"name": "webSearch", "arguments": {"query": "sky color"}}<|function_end|>');
    const observation = answerCall[3]?.content ?? "";
    expect(observation).toContain(`[[citation:1]]\nTitle 1\nSummary of ${url1}.\n[[citation:2]]\nTitle 2\nSummary of ${url2}.`);
  });

  it("parses a call whose special tokens arrive one character at a time, after some text", async () => {
    const text = `Let me check.${callText("tides")}`;
    const model = scriptedModel({ chats: [{ chunks: [...text] }, { chunks: ["Tides come from the moon [citation:1]."] }] });
    const events = mergeDeltas(await collect(runAgent({ messages: [{ role: "user", content: "tides?" }] }, makeDeps(model))));
    expect(events.slice(0, 4)).toStrictEqual([
      START,
      { type: "status", stage: "thinking" },
      { type: "text-delta", delta: "Let me check." },
      { type: "tool-call", name: "webSearch", arguments: { query: "tides" } },
    ]);
    expect(events.filter((event) => event.type === "text-delta")).toStrictEqual([
      { type: "text-delta", delta: "Let me check." },
      { type: "text-delta", delta: "\n\nTides come from the moon [1]" },
      { type: "text-delta", delta: "." },
    ]);
    expect(model.chatCalls[1]?.messages[2]?.content).toBe(`Let me check.${callText("tides")}`);
  });
});
