/**
 * The request's search filter through the agent: the provider receives it, and results that still
 * break it (a provider ignoring `site:`, a result older than the window) are dropped before any page
 * is read, so they are never numbered, fetched or cited.
 */
import { describe, expect, it } from "vitest";
import { runAgent } from "../../../agent/run-agent";
import { parseDomainFilter } from "../../../search/search-filter";
import type { SearchOptions, SearchProvider, SearchResult } from "../../../search/types";
import { collect, fakeFetchPage, makeDeps, scriptedModel } from "./fakes";

const hit = (rank: number, url: string, publishedAt?: string): SearchResult => ({
  rank,
  url,
  title: `T${rank}`,
  snippet: `S${rank}`,
  provider: "fake",
  ...(publishedAt ? { publishedAt } : {}),
});

describe("search filter in the agent", () => {
  it("passes the filter to the provider and drops what still breaks it before reading", async () => {
    const seen: SearchOptions[] = [];
    const provider: SearchProvider = {
      name: "careless",
      async search(_query, options) {
        seen.push(options);
        return [
          hit(1, "https://blog.example.com/old", "2020-01-01"),
          hit(2, "https://www.example.com/new", "2 hours ago"),
          hit(3, "https://elsewhere.org/x"),
          hit(4, "https://docs.example.com/undated"),
        ];
      },
    };
    const fetched: string[] = [];
    const pages = fakeFetchPage({});
    const model = scriptedModel({
      chats: [{ chunks: ['<|function_start|>{"name": "webSearch", "arguments": {"query": "q"}}<|function_end|>'] }, { chunks: ["Answer [citation:1]."] }],
    });
    const deps = makeDeps(model, {
      search: provider,
      fetchPage: (url, signal) => {
        fetched.push(url);
        return pages(url, signal);
      },
    });
    const parsed = parseDomainFilter(["example.com", "-elsewhere.org"]);
    if (!parsed.ok) throw new Error(parsed.message);
    const events = await collect(runAgent({ messages: [{ role: "user", content: "q?" }], searchFilter: { domains: parsed.filter, recency: "week" } }, deps));
    expect(seen[0]).toMatchObject({ domains: parsed.filter, freshness: "week" });
    const sources = events.flatMap((event) => (event.type === "source" ? [event] : []));
    expect(sources.map((source) => [source.index, source.url, source.date])).toEqual([
      [1, "https://www.example.com/new", "2 hours ago"],
      [2, "https://docs.example.com/undated", undefined],
    ]);
    expect(fetched.sort()).toEqual(["https://docs.example.com/undated", "https://www.example.com/new"]);
  });
});
