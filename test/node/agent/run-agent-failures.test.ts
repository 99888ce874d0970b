/**
 * runAgent when things go wrong: malformed or unknown tool calls, invalid
 * citations, a page that never answers, the search provider or the model
 * failing. Every stream still ends with one `finish`.
 */
import { describe, expect, it } from "vitest";
import { runAgent } from "../../../agent/run-agent";
import { callText, collect, fakeFetchPage, fakeSearch, makeDeps, mergeDeltas, results, scriptedModel, START } from "./fakes";

const url1 = "https://site1.example/page";
const url2 = "https://site2.example/page";
const question = [{ role: "user", content: "What is new?" }];

const searchEvents = (query: string) => [
  { type: "status", stage: "searching" },
  { type: "search-start", query, round: 0 },
  { type: "search-end", query, resultCount: 2 },
  { type: "source", index: 1, url: url1, title: "Title 1", snippet: "Snippet 1.", domain: "site1.example" },
  { type: "source", index: 2, url: url2, title: "Title 2", snippet: "Snippet 2.", domain: "site2.example" },
  { type: "status", stage: "reading", done: 0, total: 2 },
];

describe("runAgent failures", () => {
  it("reports malformed tool JSON and searches with the user's own words", async () => {
    const model = scriptedModel({
      chats: [{ chunks: ['<|function_start|>{"name": "webSearch", "arguments": {"query": }<|function_end|>'] }, { chunks: ["Answer [citation:1]."] }],
    });
    const queries: string[] = [];
    const deps = makeDeps(model, { search: fakeSearch(results(2), queries), fetchPage: fakeFetchPage({ [url2]: 10 }) });
    const events = mergeDeltas(await collect(runAgent({ messages: question }, deps)));
    expect(events.slice(0, 3)).toStrictEqual([
      START,
      { type: "status", stage: "thinking" },
      { type: "error", code: "tool-call-invalid", message: "The model produced a tool call that could not be parsed.", retryable: false },
    ]);
    expect(events.slice(3, 9)).toStrictEqual(searchEvents("What is new?"));
    expect(queries).toStrictEqual(["What is new?"]);
    expect(events.at(-1)).toMatchObject({ type: "finish", reason: "stop" });
  });

  it("feeds an unknown tool back as an observation and lets the model answer", async () => {
    const model = scriptedModel({ chats: [{ chunks: [callText("2+2", "calculator")] }, { chunks: ["It is 4."] }] });
    const events = await collect(runAgent({ messages: question }, makeDeps(model)));
    expect(events).toStrictEqual([
      START,
      { type: "status", stage: "thinking" },
      { type: "tool-call", name: "calculator", arguments: { query: "2+2" } },
      { type: "error", code: "tool-unknown", message: "The model asked for a tool that does not exist.", retryable: false },
      { type: "text-delta", delta: "It is 4." },
      { type: "finish", reason: "stop", usage: expect.any(Object), turnUsage: expect.any(Object) },
    ]);
    const second = model.chatCalls[1]?.messages ?? [];
    expect(second.at(-1)).toStrictEqual({
      role: "observation",
      content: 'There is no function named "calculator"; the only one is webSearch. Answer the user\'s question now without calling a function.',
    });
  });

  it("drops out-of-range citations instead of clamping them", async () => {
    const model = scriptedModel({ chats: [{ chunks: [callText("news")] }, { chunks: ["One [citation:2]. Two [citation:7]. Three [citation:0]."] }] });
    const events = await collect(runAgent({ messages: question }, makeDeps(model)));
    const tail = mergeDeltas(events).slice(-8);
    expect(tail).toStrictEqual([
      { type: "text-delta", delta: "One [2]" },
      { type: "citation", index: 2, url: url2, title: "Title 2", start: 4, end: 7 },
      { type: "text-delta", delta: ". Two" },
      { type: "citation-dropped", cited: 7, reason: "out-of-range" },
      { type: "text-delta", delta: ". Three" },
      { type: "citation-dropped", cited: 0, reason: "out-of-range" },
      { type: "text-delta", delta: "." },
      { type: "finish", reason: "stop", usage: expect.any(Object), turnUsage: expect.any(Object) },
    ]);
  });

  it("starts the answer at the read deadline when a page never answers", async () => {
    const model = scriptedModel({ chats: [{ chunks: [callText("news")] }, { chunks: ["Done [citation:1][citation:2]."] }] });
    const deps = makeDeps(model, { fetchPage: fakeFetchPage({ [url1]: "never", [url2]: 5 }), config: { deadlines: { readMs: 150 } } });
    const began = Date.now();
    const events = mergeDeltas(await collect(runAgent({ messages: question }, deps)));
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(events.slice(3, 13)).toStrictEqual([
      ...searchEvents("news"),
      { type: "page-read", index: 2, outcome: "summarized", done: 1, total: 2 },
      { type: "page-read", index: 1, outcome: "snippet", reason: "deadline", done: 2, total: 2 },
      { type: "status", stage: "writing" },
      { type: "text-delta", delta: "Done [1]" },
    ]);
    const observation = model.chatCalls[1]?.messages.at(-1)?.content ?? "";
    expect(observation).toContain("[[citation:1]]\nTitle 1\nSnippet 1.\n[[citation:2]]\nTitle 2\nSummary of https://site2.example/page.");
  });

  it("cites an excerpt of a page that was read but not summarized by the deadline", async () => {
    const model = scriptedModel({ chats: [{ chunks: [callText("news")] }, { chunks: ["ok"] }], completeDelayMs: 400 });
    const deps = makeDeps(model, { fetchPage: fakeFetchPage({ [url1]: 1, [url2]: "never" }), config: { deadlines: { readMs: 100 } } });
    const events = await collect(runAgent({ messages: question }, deps));
    expect(events.filter((event) => event.type === "page-read")).toStrictEqual([
      { type: "page-read", index: 1, outcome: "excerpt", reason: "deadline", done: 1, total: 2 },
      { type: "page-read", index: 2, outcome: "snippet", reason: "deadline", done: 2, total: 2 },
    ]);
    expect(model.chatCalls[1]?.messages.at(-1)?.content).toContain(
      "[[citation:1]]\nTitle 1\nFacts from https://site1.example/page.\n[[citation:2]]\nTitle 2\nSnippet 2.",
    );
  });

  it("drops pages judged irrelevant from the citable set", async () => {
    const model = scriptedModel({
      chats: [{ chunks: [callText("news")] }, { chunks: ["Only [citation:2] and [citation:1]."] }],
      summarize: (prompt) => (prompt.includes(url1) ? "NO_RELEVANT_CONTENT" : "Useful."),
    });
    const events = mergeDeltas(await collect(runAgent({ messages: question }, makeDeps(model))));
    const outcomes = events.flatMap((event) => (event.type === "page-read" ? [[event.index, event.outcome]] : []));
    expect(outcomes.sort((left, right) => Number(left[0]) - Number(right[0]))).toStrictEqual([
      [1, "irrelevant"],
      [2, "summarized"],
    ]);
    expect(events.filter((event) => event.type === "citation-dropped")).toStrictEqual([{ type: "citation-dropped", cited: 1, reason: "not-citable" }]);
    expect(model.chatCalls[1]?.messages.at(-1)?.content).not.toContain("[[citation:1]]");
  });

  it("answers without sources when the search provider is down", async () => {
    const model = scriptedModel({ chats: [{ chunks: [callText("news")] }, { chunks: ["I could not search. From memory: ..."] }] });
    const deps = makeDeps(model, { search: fakeSearch(new Error("503 from upstream with secret key sk-123")) });
    const events = await collect(runAgent({ messages: question }, deps));
    expect(events).toStrictEqual([
      START,
      { type: "status", stage: "thinking" },
      { type: "tool-call", name: "webSearch", arguments: { query: "news" } },
      { type: "status", stage: "searching" },
      { type: "search-start", query: "news", round: 0 },
      { type: "error", code: "search-failed", message: "The web search failed.", retryable: true },
      { type: "search-end", query: "news", resultCount: 0 },
      { type: "status", stage: "writing" },
      { type: "text-delta", delta: "I could not search. From memory: ..." },
      { type: "finish", reason: "stop", usage: expect.any(Object), turnUsage: expect.any(Object) },
    ]);
    expect(JSON.stringify(events)).not.toContain("sk-123");
    expect(model.chatCalls[1]?.messages.at(-1)?.content).toContain("gave no usable results (the search service failed)");
  });

  it("gives up on a search provider that ignores its deadline", async () => {
    const model = scriptedModel({ chats: [{ chunks: [callText("news")] }, { chunks: ["ok"] }] });
    const stuck = { name: "stuck", search: () => new Promise<never>(() => undefined) };
    const events = await collect(runAgent({ messages: question }, makeDeps(model, { search: stuck, config: { deadlines: { searchMs: 50 } } })));
    expect(events.filter((event) => event.type === "error")).toStrictEqual([
      { type: "error", code: "search-failed", message: "The web search failed.", retryable: true },
    ]);
    expect(events.at(-1)).toMatchObject({ type: "finish", reason: "stop" });
    expect(model.chatCalls[1]?.messages.at(-1)?.content).toContain("the search service failed");
  });

  it("ends with an error event when the model goes down mid-stream", async () => {
    const model = scriptedModel({ chats: [{ chunks: ["Partial ", "answer"], failAfter: true }] });
    const events = await collect(runAgent({ messages: question }, makeDeps(model)));
    expect(events).toStrictEqual([
      START,
      { type: "status", stage: "thinking" },
      { type: "text-delta", delta: "Partial " },
      { type: "text-delta", delta: "answer" },
      { type: "error", code: "model-unavailable", message: "The language model is unavailable.", retryable: true },
      { type: "finish", reason: "error", usage: expect.any(Object), turnUsage: expect.any(Object) },
    ]);
  });

  it("ends a stalled model stream at the model deadline instead of hanging", async () => {
    const model = scriptedModel({ chats: [{ chunks: ["Thinking"], stallAfter: true }] });
    const events = await collect(runAgent({ messages: question }, makeDeps(model, { config: { deadlines: { modelMs: 100 } } })));
    expect(events).toStrictEqual([
      START,
      { type: "status", stage: "thinking" },
      { type: "text-delta", delta: "Thinking" },
      { type: "error", code: "model-timeout", message: "The language model did not answer in time.", retryable: true },
      { type: "finish", reason: "error", usage: expect.any(Object), turnUsage: expect.any(Object) },
    ]);
  });

  it("ends at the model deadline even when the model client ignores the signal", async () => {
    const model = scriptedModel({ chats: [{ chunks: ["Hmm"], hangAfter: true }] });
    const events = await collect(runAgent({ messages: question }, makeDeps(model, { config: { deadlines: { modelMs: 100 } } })));
    expect(events.slice(-2)).toStrictEqual([
      { type: "error", code: "model-timeout", message: "The language model did not answer in time.", retryable: true },
      { type: "finish", reason: "error", usage: expect.any(Object), turnUsage: expect.any(Object) },
    ]);
  });

  it("answers from the sources when the model fails after the search", async () => {
    const model = scriptedModel({ chats: [{ chunks: [callText("news")] }, { chunks: [], failAfter: true }], completeFails: true });
    const events = mergeDeltas(await collect(runAgent({ messages: question }, makeDeps(model))));
    const types = events.map((event) => event.type);
    expect(types.slice(-8)).toStrictEqual(["status", "error", "text-delta", "citation", "text-delta", "citation", "text-delta", "finish"]);
    expect(events.filter((event) => event.type === "error").map((event) => event.code)).toStrictEqual(["summary-failed", "model-unavailable"]);
    expect(events.filter((event) => event.type === "page-read").map((event) => event.outcome)).toStrictEqual(["excerpt", "excerpt"]);
    const answer = events.flatMap((event) => (event.type === "text-delta" ? [event.delta] : [])).join("");
    expect(answer).toContain("Facts from https://site1.example/page. [1]");
    expect(answer.startsWith("The language model could not write an answer right now.")).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: "finish", reason: "error" });
  });

  it("stops with finish(aborted) when the caller aborts", async () => {
    const controller = new AbortController();
    const model = scriptedModel({ chats: [{ chunks: [callText("news")] }, { chunks: ["never shown"] }] });
    const deps = makeDeps(model, { fetchPage: fakeFetchPage({ [url1]: "never", [url2]: "never" }) });
    setTimeout(() => controller.abort(), 50);
    const events = await collect(runAgent({ messages: question, signal: controller.signal }, deps));
    expect(events.at(-1)).toMatchObject({ type: "finish", reason: "aborted" });
    expect(events.filter((event) => event.type === "text-delta")).toStrictEqual([]);
  });
});
