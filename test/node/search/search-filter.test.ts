// The search filter: Sonar-style domain lists validated and matched by host and path, recency read
// from the dates providers print, and the `site:` operators that carry the filter in a query.
import { describe, expect, it } from "vitest";
import {
  applySearchFilter,
  matchesDomainFilter,
  parseDomainFilter,
  parsePublishedAt,
  searchFilterKey,
  withSiteOperators,
  withinRecency,
  type DomainFilter,
} from "../../../search/search-filter";

const parsed = (entries: string[]): DomainFilter => {
  const result = parseDomainFilter(entries);
  if (!result.ok) throw new Error(result.message);
  return result.filter;
};

describe("parseDomainFilter", () => {
  it("splits allow and deny entries, normalizes hosts and keeps URL paths", () => {
    expect(parsed(["NASA.gov", " -www.Reddit.com", "https://en.wikipedia.org/wiki/Chess/", "中文.com", "edu"])).toEqual({
      allow: [{ host: "nasa.gov" }, { host: "en.wikipedia.org", path: "/wiki/Chess" }, { host: "xn--fiq228c.com" }, { host: "edu" }],
      deny: [{ host: "reddit.com" }],
    });
  });

  it.each([
    ["nasa.gov/path", 0],
    ["ftp://example.com", 0],
    ["-", 0],
    ["exa mple.com", 0],
    ["127.0.0.1", 0],
    ["https://user:pw@example.com/", 0],
    ["*.example.com", 0],
  ])("refuses %s", (entry, index) => {
    const result = parseDomainFilter([entry]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.index).toBe(index);
  });

  it("refuses more than 20 entries", () => {
    const result = parseDomainFilter(Array.from({ length: 21 }, (_, i) => `site${i}.com`));
    expect(result).toMatchObject({ ok: false, message: "at most 20 entries" });
  });
});

describe("matchesDomainFilter", () => {
  const filter = parsed(["example.com", "https://en.wikipedia.org/wiki/Chess", "-blog.example.com"]);
  it.each([
    ["https://example.com/a", true],
    ["https://www.example.com/a", true],
    ["https://docs.example.com/a", true],
    ["https://blog.example.com/post", false],
    ["https://notexample.com/", false],
    ["https://en.wikipedia.org/wiki/Chess", true],
    ["https://en.wikipedia.org/wiki/Chess/Openings", true],
    ["https://en.wikipedia.org/wiki/Chessboard", false],
    ["https://en.wikipedia.org/wiki/Go", false],
    ["not a url", false],
  ])("%s → %s", (url, expected) => {
    expect(matchesDomainFilter(url, filter)).toBe(expected);
  });

  it("passes everything without rules, and only denies with deny rules alone", () => {
    expect(matchesDomainFilter("https://a.org/", undefined)).toBe(true);
    const deny = parsed(["-reddit.com"]);
    expect(matchesDomainFilter("https://old.reddit.com/r/x", deny)).toBe(false);
    expect(matchesDomainFilter("https://a.org/", deny)).toBe(true);
  });
});

describe("recency", () => {
  const now = Date.parse("2026-03-10T12:00:00Z");
  it("reads ISO, English and relative dates", () => {
    expect(parsePublishedAt("2026-03-09T12:00:00Z", now)).toBe(Date.parse("2026-03-09T12:00:00Z"));
    expect(parsePublishedAt("Dec 16, 2024", now)).toBe(Date.parse("Dec 16, 2024"));
    expect(parsePublishedAt("3 days ago", now)).toBe(now - 3 * 86_400_000);
    expect(parsePublishedAt("5 hours ago", now)).toBe(now - 5 * 3_600_000);
    expect(parsePublishedAt("2 months ago", now)).toBe(now - 60 * 86_400_000);
    expect(parsePublishedAt("yesterday-ish", now)).toBeUndefined();
  });

  it("drops what is provably older than the window and keeps undated results", () => {
    expect(withinRecency("2 hours ago", "hour", now)).toBe(false);
    expect(withinRecency("30 mins ago", "hour", now)).toBe(true);
    expect(withinRecency("2026-03-01", "week", now)).toBe(false);
    expect(withinRecency("2026-03-05", "week", now)).toBe(true);
    expect(withinRecency(undefined, "day", now)).toBe(true);
    const results = [
      { url: "https://example.com/new", publishedAt: "1 hour ago" },
      { url: "https://example.com/old", publishedAt: "2024-01-01" },
      { url: "https://other.org/new", publishedAt: "1 hour ago" },
    ];
    const { kept, dropped } = applySearchFilter(results, { domains: parsed(["example.com"]), recency: "month" }, now);
    expect(kept.map((r) => r.url)).toEqual(["https://example.com/new"]);
    expect(dropped.map((r) => r.url)).toEqual(["https://example.com/old", "https://other.org/new"]);
  });
});

describe("withSiteOperators", () => {
  it("ORs the allow rules and negates the deny rules", () => {
    expect(withSiteOperators("q", parsed(["a.com"]))).toBe("q site:a.com");
    expect(withSiteOperators("q", parsed(["a.com", "https://b.org/docs", "-c.net"]))).toBe("q (site:a.com OR site:b.org/docs) -site:c.net");
    expect(withSiteOperators("q", undefined)).toBe("q");
  });

  it("stays within a word budget, dropping deny terms first", () => {
    const filter = parsed(["a.com", "b.com", "-c.com", "-d.com"]);
    expect(withSiteOperators("one two", filter, { maxWords: 6 })).toBe("one two (site:a.com OR site:b.com) -site:c.com");
    expect(withSiteOperators("one two", filter, { maxWords: 5 })).toBe("one two (site:a.com OR site:b.com)");
    expect(withSiteOperators("one two", filter, { maxWords: 4 })).toBe("one two site:a.com");
  });

  it("gives different cache keys for different filters", () => {
    expect(searchFilterKey({ domains: parsed(["a.com"]) })).not.toBe(searchFilterKey({ domains: parsed(["-a.com"]) }));
    expect(searchFilterKey({ recency: "day" })).not.toBe(searchFilterKey(undefined));
  });
});

describe("search cache keys", () => {
  it("never share an entry between a filtered and an unfiltered search", async () => {
    const { searchCacheKey } = await import("../../../search/cache");
    const plain = searchCacheKey("serper", "q", { limit: 5 });
    expect(searchCacheKey("serper", "q", { limit: 5, domains: parsed(["a.com"]) })).not.toBe(plain);
    expect(searchCacheKey("serper", "q", { limit: 5, domains: parsed(["-a.com"]) })).not.toBe(
      searchCacheKey("serper", "q", { limit: 5, domains: parsed(["a.com"]) }),
    );
    expect(searchCacheKey("serper", "q", { limit: 5, freshness: "hour" })).not.toBe(searchCacheKey("serper", "q", { limit: 5, freshness: "day" }));
  });
});
