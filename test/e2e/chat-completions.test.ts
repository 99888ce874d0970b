/**
 * The walking skeleton, end to end and real: the official `openai` client
 * talks to `wrangler dev` (workerd), whose agent searches the local index,
 * reads corpus pages and calls the engine process over HTTP.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, type TestStack } from "../support/stack";

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ SEARCH_MODE: "always" });
});

afterAll(async () => {
  await stack?.stop();
});

async function engineCounter(name: string): Promise<number> {
  const text = await (await fetch(`${stack.engineUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(name));
  return line ? Number(line.trim().split(/\s+/).pop()) : Number.NaN;
}

const engineCompletionTokens = (): Promise<number> => engineCounter("engine_generation_tokens_total");

describe("OpenAI-compatible chat through the edge worker", () => {
  it("answers a non-streaming request with text produced by the engine", async () => {
    const client = new OpenAI({ baseURL: `${stack.workerUrl}/v1`, apiKey: "local-dev" });
    const before = await engineCompletionTokens();
    const completion = await client.chat.completions.create({
      model: "megrez",
      messages: [{ role: "user", content: "How does the agent cite its sources?" }],
      max_tokens: 24,
      temperature: 0,
    });
    const choice = completion.choices[0];
    expect(choice?.message.role).toBe("assistant");
    expect(typeof choice?.message.content).toBe("string");
    expect(["stop", "length"]).toContain(choice?.finish_reason);
    expect(completion.usage?.completion_tokens ?? 0).toBeGreaterThan(0);
    const after = await engineCompletionTokens();
    expect(after).toBeGreaterThan(before);
  });

  it("streams a chat completion", async () => {
    const client = new OpenAI({ baseURL: `${stack.workerUrl}/v1`, apiKey: "local-dev" });
    const stream = await client.chat.completions.create({
      model: "megrez",
      messages: [{ role: "user", content: "What does the engine serve?" }],
      max_tokens: 24,
      temperature: 0,
      stream: true,
    });
    let text = "";
    let chunks = 0;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (process.env.E2E_VERBOSE) console.log("CHUNK", JSON.stringify(chunk));
    }
    expect(chunks).toBeGreaterThan(1);
    expect(text.length).toBeGreaterThan(0);
    expect(["stop", "length"]).toContain(finish);
  });
});

describe("native event stream", () => {
  it("searches the local index, reads real corpus pages and streams the answer", async () => {
    const cachedBefore = await engineCounter("engine_prefix_cache_hit_tokens_total");
    const res = await fetch(`${stack.workerUrl}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "How does the agent cite its sources?", search: "always" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const body = await res.text();
    const events = body
      .split("\n\n")
      .map((frame) =>
        frame
          .split("\n")
          .find((l) => l.startsWith("data:"))
          ?.slice(5)
          .trim(),
      )
      .filter((d): d is string => Boolean(d))
      .map((d) => JSON.parse(d) as { type: string; [k: string]: unknown });
    const types = events.map((e) => e.type);
    expect(types[0]).toBe("start");
    expect(types.at(-1)).toBe("finish");
    expect(types).toContain("search-start");
    expect(types).toContain("text-delta");
    const sources = events.filter((e) => e.type === "source");
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(String(source.url)).toContain("/corpus/");
      const page = await fetch(String(source.url).replace(/^https?:\/\/[^/]+/, stack.workerUrl));
      expect(page.status).toBe(200);
    }
    // Every source was read (summarized, judged irrelevant, or excerpted when the read deadline came first).
    const reads = events.filter((e) => e.type === "page-read");
    expect(new Set(reads.map((e) => e.index))).toEqual(new Set(sources.map((s) => s.index)));
    expect(reads.every((e) => e.outcome !== "failed")).toBe(true);
    // The answer prompt starts with the search-decision prompt, so the engine prefilled only what was new.
    expect(await engineCounter("engine_prefix_cache_hit_tokens_total")).toBeGreaterThan(cachedBefore);
  });
});
