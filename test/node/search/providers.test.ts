// Each API provider against its recorded-shape fixture: the request it sends (endpoint, auth header,
// parameters), the normalized and de-duplicated results, and the classification of failures.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createSearchProvider, isSearchError, type SearchProviderName } from "../../../search/providers/index";
import { parseDomainFilter, type DomainFilter } from "../../../search/search-filter";
import { fakeFetch, jsonResponse } from "./support/fake-fetch";

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8"));

describe("Serper", () => {
  it("posts q/gl/hl/num/tbs with the API key and normalizes organic hits", async () => {
    const fake = fakeFetch(() => jsonResponse(fixture("serper-search")));
    const provider = createSearchProvider("serper", { fetch: fake.fetch, apiKey: "key-1", gl: "cn", hl: "zh-cn", sort: "date" });
    const results = await provider.search("Megrez-3B-Instruct", { limit: 10, freshness: "week" });
    const request = fake.requests[0];
    expect(request?.url).toBe("https://google.serper.dev/search?sort=date");
    expect(request?.method).toBe("POST");
    expect(request?.headers.get("x-api-key")).toBe("key-1");
    expect(JSON.parse(request?.body ?? "{}")).toEqual({ q: "Megrez-3B-Instruct", num: 10, gl: "cn", hl: "zh-cn", tbs: "qdr:w" });
    expect(results.map((result) => result.rank)).toEqual([1, 2, 3, 4]);
    expect(results.map((result) => result.url)).toEqual([
      "https://huggingface.co/Infinigence/Megrez-3B-Instruct",
      "https://github.com/infinigence/Infini-Megrez",
      "https://www.example-news.cn/tech/2024/12/megrez-3b.html?utm_source=google&utm_medium=organic",
      "https://blog.example.org/posts/megrez-3b-omni/",
    ]);
    expect(results[2]).toMatchObject({ provider: "serper", publishedAt: "Dec 16, 2024", title: "无问芯穹发布端侧模型 Megrez-3B" });
  });

  it("respects the limit", async () => {
    const fake = fakeFetch(() => jsonResponse(fixture("serper-search")));
    const results = await createSearchProvider("serper", { fetch: fake.fetch, apiKey: "k" }).search("q", { limit: 2 });
    expect(results).toHaveLength(2);
  });
});

describe("SearXNG", () => {
  it("asks for format=json and strips markup and entities from snippets", async () => {
    const fake = fakeFetch(() => jsonResponse(fixture("searxng-search")));
    const provider = createSearchProvider("searxng", { fetch: fake.fetch, baseUrl: "http://127.0.0.1:8888/" });
    const results = await provider.search("cloudflare workers cpu limit", { limit: 10, language: "en", freshness: "day" });
    const url = new URL(fake.requests[0]?.url ?? "");
    expect(url.origin + url.pathname).toBe("http://127.0.0.1:8888/search");
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ q: "cloudflare workers cpu limit", format: "json", language: "en", time_range: "day" });
    expect(results).toHaveLength(3);
    expect(results[0]?.snippet).toBe("Workers on the Paid plan have a default CPU time limit of 30 seconds per request ...");
    expect(results[1]?.snippet).toContain('hitting "exceeded CPU"');
    expect(results[2]?.snippet).toBe("");
  });

  it("reports 403 (JSON output disabled) as a config error", async () => {
    const fake = fakeFetch(() => new Response("Forbidden", { status: 403 }));
    const error = await createSearchProvider("searxng", { fetch: fake.fetch, baseUrl: "http://127.0.0.1:8888" })
      .search("q", { limit: 5 })
      .catch((caught: unknown) => caught);
    expect(isSearchError(error) && error.kind).toBe("config");
  });
});

describe("Brave", () => {
  it("sends the subscription token and maps web.results", async () => {
    const fake = fakeFetch(() => jsonResponse(fixture("brave-search")));
    const results = await createSearchProvider("brave", { fetch: fake.fetch, apiKey: "brave-key" }).search("minisearch bm25", {
      limit: 5,
      country: "us",
      freshness: "month",
    });
    const request = fake.requests[0];
    expect(request?.headers.get("x-subscription-token")).toBe("brave-key");
    expect(Object.fromEntries(new URL(request?.url ?? "").searchParams)).toMatchObject({ q: "minisearch bm25", count: "5", country: "us", freshness: "pm" });
    expect(results.map((result) => result.url)).toEqual(["https://lucaong.github.io/minisearch/", "https://en.wikipedia.org/wiki/Okapi_BM25"]);
    expect(results[0]?.snippet).not.toContain("<strong>");
    expect(results[0]?.publishedAt).toBe("2025-02-10T09:12:00");
  });
});

describe("Tavily", () => {
  it("posts the query with a bearer key", async () => {
    const fake = fakeFetch(() => jsonResponse(fixture("tavily-search")));
    const results = await createSearchProvider("tavily", { fetch: fake.fetch, apiKey: "tvly-key" }).search("GBK encoding TextDecoder", { limit: 3 });
    const request = fake.requests[0];
    expect(request?.url).toBe("https://api.tavily.com/search");
    expect(request?.headers.get("authorization")).toBe("Bearer tvly-key");
    expect(JSON.parse(request?.body ?? "{}")).toMatchObject({ query: "GBK encoding TextDecoder", max_results: 3 });
    expect(results).toHaveLength(3);
    expect(results[1]).toMatchObject({ url: "https://encoding.spec.whatwg.org/", provider: "tavily" });
  });
});

describe("search filter (domains and recency) in the outgoing request", () => {
  const domains = (entries: string[]): DomainFilter => {
    const parsed = parseDomainFilter(entries);
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.filter;
  };
  const filter = domains(["huggingface.co", "https://github.com/infinigence", "-example-news.cn"]);

  it("Serper: site: operators in q and tbs=qdr:h for the last hour", async () => {
    const fake = fakeFetch(() => jsonResponse(fixture("serper-search")));
    await createSearchProvider("serper", { fetch: fake.fetch, apiKey: "k" }).search("Megrez", { limit: 5, domains: filter, freshness: "hour" });
    expect(JSON.parse(fake.requests[0]?.body ?? "{}")).toEqual({
      q: "Megrez (site:huggingface.co OR site:github.com/infinigence) -site:example-news.cn",
      num: 5,
      tbs: "qdr:h",
    });
  });

  it("Brave: site: operators in q within its 50-word limit, freshness pd for hour and day", async () => {
    const fake = fakeFetch(() => jsonResponse(fixture("brave-search")));
    const brave = createSearchProvider("brave", { fetch: fake.fetch, apiKey: "k" });
    await brave.search("minisearch bm25", { limit: 5, domains: filter, freshness: "hour" });
    await brave.search("word ".repeat(48).trim(), { limit: 5, domains: filter, freshness: "year" });
    const [first, second] = fake.requests.map((request) => Object.fromEntries(new URL(request.url).searchParams));
    expect(first).toMatchObject({ q: "minisearch bm25 (site:huggingface.co OR site:github.com/infinigence) -site:example-news.cn", freshness: "pd" });
    expect(second?.q).toBe(`${"word ".repeat(48).trim()} site:huggingface.co`);
    expect(second?.freshness).toBe("py");
  });

  it("Tavily: include_domains / exclude_domains (hosts) and time_range", async () => {
    const fake = fakeFetch(() => jsonResponse(fixture("tavily-search")));
    const tavily = createSearchProvider("tavily", { fetch: fake.fetch, apiKey: "k" });
    await tavily.search("GBK", { limit: 3, domains: filter, freshness: "week" });
    await tavily.search("GBK", { limit: 3, domains: domains(["-https://example.org/private"]), freshness: "hour" });
    const [first, second] = fake.requests.map((request) => JSON.parse(request.body ?? "{}"));
    expect(first).toMatchObject({ query: "GBK", include_domains: ["huggingface.co", "github.com"], exclude_domains: ["example-news.cn"], time_range: "week" });
    // A URL-level deny rule must not exclude the whole host: it is enforced on the results instead.
    expect(second).not.toHaveProperty("exclude_domains");
    expect(second).not.toHaveProperty("include_domains");
    expect(second.time_range).toBe("day");
  });

  it("SearXNG: site: operators in q and time_range (day/month/year)", async () => {
    const fake = fakeFetch(() => jsonResponse(fixture("searxng-search")));
    const searxng = createSearchProvider("searxng", { fetch: fake.fetch, baseUrl: "http://127.0.0.1:8888" });
    await searxng.search("cpu limit", { limit: 5, domains: domains(["developers.cloudflare.com"]), freshness: "week" });
    await searxng.search("cpu limit", { limit: 5, freshness: "hour" });
    const [first, second] = fake.requests.map((request) => Object.fromEntries(new URL(request.url).searchParams));
    expect(first).toMatchObject({ q: "cpu limit site:developers.cloudflare.com", time_range: "month" });
    expect(second).toMatchObject({ q: "cpu limit", time_range: "day" });
  });

  it("changes nothing in the request without a filter", async () => {
    const fake = fakeFetch(() => jsonResponse(fixture("serper-search")));
    await createSearchProvider("serper", { fetch: fake.fetch, apiKey: "k" }).search("Megrez", { limit: 5 });
    expect(JSON.parse(fake.requests[0]?.body ?? "{}")).toEqual({ q: "Megrez", num: 5 });
  });
});

describe("error classification", () => {
  const cases: Array<[string, () => Response, string]> = [
    ["401", () => new Response("no", { status: 401 }), "auth"],
    ["403", () => new Response("no", { status: 403 }), "auth"],
    ["429", () => new Response("slow down", { status: 429, headers: { "retry-after": "30" } }), "rate-limited"],
    ["500", () => new Response("oops", { status: 500 }), "upstream"],
    ["504", () => new Response("gateway", { status: 504 }), "timeout"],
    ["not JSON", () => new Response("<html>", { status: 200 }), "invalid-response"],
    ["wrong shape", () => jsonResponse({ organic: "nope" }), "invalid-response"],
  ];
  it.each(cases)("classifies %s", async (_label, respond, kind) => {
    const provider = createSearchProvider("serper", { fetch: fakeFetch(respond).fetch, apiKey: "k" });
    const error = await provider.search("q", { limit: 5 }).catch((caught: unknown) => caught);
    expect(isSearchError(error)).toBe(true);
    if (isSearchError(error)) {
      expect(error.kind).toBe(kind);
      expect(error.provider).toBe("serper");
      if (kind === "rate-limited") expect(error.retryAfterSeconds).toBe(30);
    }
  });

  it("classifies a hung upstream as a timeout and a missing key as config", async () => {
    const hanging = fakeFetch(
      (request) =>
        new Promise<Response>(() => {
          void request;
        }),
    );
    const slowFetch: typeof fetch = (input, init) =>
      new Promise((resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
        void hanging.fetch(input, init).then(resolve);
      });
    const error = await createSearchProvider("brave", { fetch: slowFetch, apiKey: "k", timeoutMs: 50 })
      .search("q", { limit: 5 })
      .catch((caught: unknown) => caught);
    expect(isSearchError(error) && error.kind).toBe("timeout");
    const names: SearchProviderName[] = ["serper", "brave", "tavily", "searxng", "local"];
    for (const name of names) {
      expect(() => createSearchProvider(name, { fetch: hanging.fetch })).toThrow(expect.objectContaining({ kind: "config" }));
    }
  });
});
