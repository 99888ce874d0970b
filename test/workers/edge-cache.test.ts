/**
 * The edge cache over the Workers Cache API, inside workerd: search results
 * and pages round-trip, a damaged entry is a miss, and the search wrapper
 * answers a repeated query without calling the provider again.
 */
import { describe, expect, it } from "vitest";
import { withSearchCache } from "../../search/cache";
import type { FetchOutcome, SearchProvider, SearchResult } from "../../search/types";
import { pageCache, searchResultsCache } from "../../workers/edge-cache";

const results: SearchResult[] = [
  { rank: 1, url: "https://example.org/a", title: "A", snippet: "first", provider: "serper" },
  { rank: 2, url: "https://example.org/b", title: "B", snippet: "second", provider: "serper", publishedAt: "2026-11-01" },
];

describe("edge cache (Workers Cache API)", () => {
  it("round-trips search results and treats a damaged entry as a miss", async () => {
    const store = await caches.open("edge-cache-search");
    const cache = searchResultsCache(() => store);
    expect(await cache.get("search:q")).toBeUndefined();
    await cache.put("search:q", results, { ttlSeconds: 60 });
    expect(await cache.get("search:q")).toEqual(results);
    await store.put(`https://cache.megrez-edge.internal/search/${encodeURIComponent("search:bad")}`, new Response('{"not":"results"}'));
    expect(await cache.get("search:bad")).toBeUndefined();
  });

  it("stores pages only with a positive time to live", async () => {
    const store = await caches.open("edge-cache-pages");
    const cache = pageCache(() => store);
    const page: FetchOutcome = {
      ok: true,
      url: "https://example.org/",
      finalUrl: "https://example.org/",
      status: 200,
      contentType: "text/html",
      body: "<p>hi</p>",
      truncated: false,
    };
    await cache.put("page:none", page, { ttlSeconds: 0 });
    expect(await cache.get("page:none")).toBeUndefined();
    await cache.put("page:one", page, { ttlSeconds: 600 });
    expect(await cache.get("page:one")).toEqual(page);
  });

  it("lets a repeated query skip the provider", async () => {
    const store = await caches.open("edge-cache-provider");
    let calls = 0;
    const provider: SearchProvider = {
      name: "serper",
      async search() {
        calls += 1;
        return results;
      },
    };
    const cached = withSearchCache(
      provider,
      searchResultsCache(() => store),
    );
    expect(await cached.search("Edge  Caching", { limit: 5 })).toEqual(results);
    expect(await cached.search("edge caching", { limit: 5 })).toEqual(results);
    expect(calls).toBe(1);
  });
});
