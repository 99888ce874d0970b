// The cache interface: LRU eviction and TTL expiry, normalized keys, and the provider/page wrappers
// (hits served from cache, failures and empty answers not remembered).
import { describe, expect, it } from "vitest";
import { createLruCache, normalizeQuery, normalizeUrl, pageCacheKey, searchCacheKey, withPageCache, withSearchCache } from "../../../search/cache";
import type { FetchOutcome, SearchProvider, SearchResult } from "../../../search/types";

describe("createLruCache", () => {
  it("evicts the least recently used entry and expires by TTL", async () => {
    let now = 0;
    const cache = createLruCache<number>({ maxEntries: 2, defaultTtlSeconds: 10, now: () => now });
    await cache.put("a", 1);
    await cache.put("b", 2);
    expect(await cache.get("a")).toBe(1);
    await cache.put("c", 3);
    expect(await cache.get("b")).toBeUndefined();
    expect(await cache.get("a")).toBe(1);
    now = 10_001;
    expect(await cache.get("a")).toBeUndefined();
    await cache.put("d", 4, { ttlSeconds: 0 });
    expect(await cache.get("d")).toBeUndefined();
  });
});

describe("keys", () => {
  it("normalizes URLs and queries", () => {
    expect(normalizeUrl("https://Example.COM:443/a/?utm_source=x&b=2&a=1#frag")).toBe("https://example.com/a?a=1&b=2");
    expect(normalizeUrl("https://example.com/?fbclid=1")).toBe("https://example.com/");
    expect(normalizeQuery("  Megrez   3B  ")).toBe("megrez 3b");
    expect(normalizeQuery("ＭＥＧＲＥＺ")).toBe("megrez");
    expect(searchCacheKey("serper", " A  b", { limit: 5 })).toBe(searchCacheKey("serper", "a B", { limit: 5 }));
    expect(searchCacheKey("serper", "a", { limit: 5 })).not.toBe(searchCacheKey("serper", "a", { limit: 5, language: "zh" }));
    expect(pageCacheKey("https://x.com/p#a")).toBe(pageCacheKey("https://x.com/p"));
  });
});

describe("withSearchCache / withPageCache", () => {
  it("serves repeated queries from the cache but not empty answers", async () => {
    const answers: SearchResult[][] = [[], [{ rank: 1, url: "https://x.com/", title: "x", snippet: "", provider: "p" }]];
    let calls = 0;
    const provider: SearchProvider = { name: "p", search: async () => answers[calls++] ?? [] };
    const cached = withSearchCache(provider, createLruCache<SearchResult[]>());
    expect(await cached.search("Q", { limit: 5 })).toEqual([]);
    expect((await cached.search("q", { limit: 5 })).length).toBe(1);
    expect((await cached.search(" q ", { limit: 5 })).length).toBe(1);
    expect(calls).toBe(2);
  });

  it("caches successful pages only", async () => {
    let calls = 0;
    const fetcher = async (url: string): Promise<FetchOutcome> => {
      calls++;
      return url.includes("bad")
        ? { ok: false, url, reason: "timeout" }
        : { ok: true, url, finalUrl: url, status: 200, contentType: "text/html", body: "x", truncated: false };
    };
    const cached = withPageCache(fetcher, createLruCache<FetchOutcome>());
    await cached("https://x.com/good");
    await cached("https://x.com/good#frag");
    await cached("https://x.com/bad");
    await cached("https://x.com/bad");
    expect(calls).toBe(3);
  });
});
