// The fallback chain: first provider with results wins, failures move on, Retry-After cools a
// provider down, an all-empty answer is [] (or an "empty" error when asked), results are de-duplicated.
import { describe, expect, it } from "vitest";
import { SearchError, createFallbackChain, isSearchError } from "../../../search/providers/index";
import type { SearchOptions, SearchProvider, SearchResult } from "../../../search/types";

function result(url: string, provider: string, rank = 1): SearchResult {
  return { rank, url, title: url, snippet: "", provider };
}

function scripted(name: string, answers: Array<SearchResult[] | SearchError>): SearchProvider & { calls: string[] } {
  const calls: string[] = [];
  return {
    name,
    calls,
    async search(query: string, _options: SearchOptions) {
      calls.push(query);
      const next = answers.shift();
      if (next === undefined) throw new Error("unexpected call");
      if (next instanceof SearchError) throw next;
      return next;
    },
  };
}

describe("createFallbackChain", () => {
  it("returns the first provider's results when it answers", async () => {
    const first = scripted("a", [[result("https://x.com/1", "a")]]);
    const second = scripted("b", []);
    const chain = createFallbackChain([first, second]);
    expect(await chain.search("q", { limit: 5 })).toEqual([result("https://x.com/1", "a")]);
    expect(second.calls).toEqual([]);
    expect(chain.name).toBe("a>b");
  });

  it("moves on after failures and empty answers, reporting each failure", async () => {
    const seen: string[] = [];
    const chain = createFallbackChain(
      [
        scripted("a", [new SearchError({ kind: "auth", provider: "a", message: "bad key" })]),
        scripted("b", [[]]),
        scripted("c", [[result("https://x.com/#top", "c", 1), result("https://x.com/", "c", 2), result("https://y.com/", "c", 3)]]),
      ],
      { onProviderError: (error) => seen.push(`${error.provider}:${error.kind}`) },
    );
    const results = await chain.search("q", { limit: 5 });
    expect(results.map((item) => [item.rank, item.url])).toEqual([
      [1, "https://x.com/#top"],
      [2, "https://y.com/"],
    ]);
    expect(seen).toEqual(["a:auth"]);
  });

  it("throws the last failure when every provider fails, and wraps unexpected errors", async () => {
    const chain = createFallbackChain([
      scripted("a", [new SearchError({ kind: "timeout", provider: "a", message: "t" })]),
      { name: "b", search: async () => Promise.reject(new TypeError("boom")) },
    ]);
    const error = await chain.search("q", { limit: 5 }).catch((caught: unknown) => caught);
    expect(isSearchError(error) && [error.provider, error.kind]).toEqual(["b", "upstream"]);
  });

  it("returns [] when everything is empty, or an empty error when asked", async () => {
    expect(await createFallbackChain([scripted("a", [[]])]).search("q", { limit: 5 })).toEqual([]);
    const error = await createFallbackChain([scripted("a", [[]])], { emptyIsError: true })
      .search("q", { limit: 5 })
      .catch((caught: unknown) => caught);
    expect(isSearchError(error) && error.kind).toBe("empty");
  });

  it("skips a rate-limited provider until Retry-After has passed", async () => {
    let now = 0;
    const limited = scripted("a", [
      new SearchError({ kind: "rate-limited", provider: "a", message: "429", retryAfterSeconds: 60 }),
      [result("https://a.com/", "a")],
    ]);
    const backup = scripted("b", [[result("https://b.com/", "b")], [result("https://b.com/2", "b")]]);
    const chain = createFallbackChain([limited, backup], { now: () => now });
    expect((await chain.search("one", { limit: 5 }))[0]?.provider).toBe("b");
    now = 30_000;
    expect((await chain.search("two", { limit: 5 }))[0]?.url).toBe("https://b.com/2");
    expect(limited.calls).toEqual(["one"]);
    now = 61_000;
    expect((await chain.search("three", { limit: 5 }))[0]?.provider).toBe("a");
  });

  it("refuses an empty chain", () => {
    expect(() => createFallbackChain([])).toThrow(expect.objectContaining({ kind: "config" }));
  });
});
