import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../../agent/config";
import { DigestError, writeDigest, type DigestRequest } from "../../../agent/digest";
import type { ResearchDeps } from "../../../agent/research";
import type { SearchOptions, SearchProvider, SearchResult } from "../../../search/types";
import { fakeExtract, fakeFetchPage, scriptedModel, type ScriptedModel } from "./fakes";

const request: DigestRequest = {
  name: "Edge weekly",
  topic: "edge runtimes",
  queries: [],
  language: "en",
  length: "short",
  pages: 2,
  scheduledFor: new Date("2026-11-30T08:00:00Z"),
};

const hit = (rank: number, url: string): SearchResult => ({ rank, url, title: `T ${url}`, snippet: `snippet ${url}`, provider: "fake" });

/** Answers per query, records queries and options. */
function searchByQuery(answers: Record<string, SearchResult[] | Error>) {
  const calls: { query: string; options: SearchOptions }[] = [];
  const provider: SearchProvider = {
    name: "fake",
    async search(query, options) {
      calls.push({ query, options });
      const answer = answers[query] ?? [];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { provider, calls };
}

function deps(model: ScriptedModel, search: SearchProvider): { research: ResearchDeps } {
  return {
    research: {
      model,
      search,
      fetchPage: fakeFetchPage({}),
      extract: fakeExtract,
      config: parseAgentConfig({ pages: 5 }),
    },
  };
}

describe("writeDigest", () => {
  it("researches the topic, cites the read pages and renders Markdown with a numbered source list", async () => {
    const { provider, calls } = searchByQuery({
      "edge runtimes": [hit(1, "https://a.example/1"), hit(2, "https://b.example/2"), hit(3, "https://c.example/3")],
    });
    const model = scriptedModel({ chats: [{ chunks: ["Isolates start fast [citation:1]", " and B agrees [citation:2]. Made up [citation:7]."] }] });
    const digest = await writeDigest({ ...request, freshness: "week" }, deps(model, provider));

    // pages: 2 per query, freshness passed to the provider.
    expect(calls).toEqual([{ query: "edge runtimes", options: expect.objectContaining({ limit: 2, freshness: "week" }) }]);
    expect(digest.sources).toEqual([
      { index: 1, url: "https://a.example/1", title: "T https://a.example/1", domain: "a.example" },
      { index: 2, url: "https://b.example/2", title: "T https://b.example/2", domain: "b.example" },
    ]);
    expect(digest.body).toBe("Isolates start fast [1] and B agrees [2]. Made up.");
    expect(digest.cited).toEqual([1, 2]);
    expect(digest.dropped).toEqual([7]);
    expect(digest.title).toBe("Edge weekly: 2026-11-30");
    expect(digest.markdown).toBe(
      "# Edge weekly: 2026-11-30\n\nIsolates start fast [1] and B agrees [2]. Made up.\n\n## Sources\n\n" +
        "1. [T https://a.example/1](https://a.example/1) (a.example)\n2. [T https://b.example/2](https://b.example/2) (b.example)\n",
    );
    // The writing prompt carries the page summaries, numbered, and the language and length.
    const prompt = model.chatCalls[0]!.messages.map((m) => m.content).join("\n");
    expect(prompt).toContain("[citation:1] T https://a.example/1 (https://a.example/1)\nSummary of https://a.example/1.");
    expect(prompt).toContain("Language: en");
    expect(model.chatCalls[0]!.maxTokens).toBe(350);
  });

  it("merges several queries, numbering sources once and skipping repeated pages", async () => {
    const { provider } = searchByQuery({
      one: [hit(1, "https://a.example/1"), hit(2, "https://b.example/2")],
      two: [hit(1, "https://b.example/2/"), hit(2, "https://c.example/3")],
    });
    const model = scriptedModel({ chats: [{ chunks: ["C is new [citation:3]."] }] });
    const digest = await writeDigest({ ...request, topic: undefined, queries: ["one", "two"] }, deps(model, provider));
    expect(digest.sources.map((s) => [s.index, s.url])).toEqual([
      [1, "https://a.example/1"],
      [2, "https://b.example/2"],
      [3, "https://c.example/3"],
    ]);
    expect(digest.body).toBe("C is new [3].");
    expect(digest.failedQueries).toEqual([]);
  });

  it("keeps going when one query fails and reports it", async () => {
    const { provider } = searchByQuery({ good: [hit(1, "https://a.example/1")], bad: Object.assign(new Error("HTTP 503"), { kind: "upstream" }) });
    const model = scriptedModel({ chats: [{ chunks: ["A [citation:1]."] }] });
    const digest = await writeDigest({ ...request, queries: ["bad", "good"] }, deps(model, provider));
    expect(digest.failedQueries).toEqual([{ query: "bad", reason: "search-failed (upstream)", retryable: true }]);
    expect(digest.cited).toEqual([1]);
  });

  it("fails with a retryable search-failed error when every search fails", async () => {
    const { provider } = searchByQuery({ "edge runtimes": Object.assign(new Error("down"), { kind: "upstream" }) });
    const model = scriptedModel({ chats: [] });
    const error = await writeDigest(request, deps(model, provider)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DigestError);
    expect(error).toMatchObject({ code: "search-failed", retryable: true, message: expect.stringContaining('"edge runtimes": search-failed (upstream)') });
    expect(model.chatCalls).toHaveLength(0);
  });

  it("marks a provider without its key as a permanent search failure", async () => {
    const { provider } = searchByQuery({ "edge runtimes": Object.assign(new Error("SERPER_API_KEY is not set"), { kind: "config" }) });
    const error = await writeDigest(request, deps(scriptedModel({ chats: [] }), provider)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "search-failed", retryable: false, message: expect.stringContaining("search-failed (config)") });
  });

  it("fails with no-sources when nothing was found, and model-failed when the model breaks", async () => {
    const empty = await writeDigest(request, deps(scriptedModel({ chats: [] }), searchByQuery({}).provider)).catch((e: unknown) => e);
    expect(empty).toMatchObject({ code: "no-sources", retryable: false, message: "the search found nothing for any query" });

    const { provider } = searchByQuery({ "edge runtimes": [hit(1, "https://a.example/1")] });
    const broken = scriptedModel({ chats: [{ chunks: ["partial"], failAfter: true }] });
    const failed = await writeDigest(request, deps(broken, provider)).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: "model-failed", retryable: true });
  });

  it("stops at an end-of-turn token and rejects an empty digest", async () => {
    const { provider } = searchByQuery({ "edge runtimes": [hit(1, "https://a.example/1")] });
    const model = scriptedModel({ chats: [{ chunks: ["Done [citation:1].<|turn_end|>garbage"] }, { chunks: ["  "] }] });
    const digest = await writeDigest(request, deps(model, provider));
    expect(digest.body).toBe("Done [1].");
    const empty = await writeDigest(request, deps(model, provider)).catch((e: unknown) => e);
    expect(empty).toMatchObject({ code: "empty-digest" });
  });
});
