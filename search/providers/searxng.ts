/**
 * SearXNG's JSON API (`GET /search?format=json`). An instance without `json` in `search.formats`
 * answers 403; that is a configuration problem, not a bad key, so it is reported as `config`. The
 * domain filter becomes `site:` / `-site:` in `q` (passed on to engines that read it, Google, Bing,
 * Brave among them); recency becomes `time_range` (`day`, `month`, `year`: the documented values).
 */
import { z } from "zod";
import type { SearchOptions, SearchProvider } from "../types";
import { withSiteOperators } from "../search-filter";
import { normalizeResults } from "./normalize-results";
import { requestJson } from "./request-json";
import { SearchError } from "./search-error";

export interface SearxngOptions {
  fetch: typeof fetch;
  baseUrl: string;
  /** Comma-separated engines or categories to restrict to (SearXNG `engines` / `categories`). */
  engines?: string;
  categories?: string;
  timeoutMs?: number;
}

let schemaCache: ReturnType<typeof buildSchema> | undefined;
function buildSchema() {
  return z.object({
    results: z
      .array(
        z.object({ url: z.string(), title: z.string().optional(), content: z.string().nullable().optional(), publishedDate: z.string().nullable().optional() }),
      )
      .default([]),
  });
}
const schema = () => (schemaCache ??= buildSchema());

// SearXNG documents day, month and year only; the nearest wider window keeps recall (the research stage drops what is older).
const TIME_RANGE: Record<NonNullable<SearchOptions["freshness"]>, string> = { hour: "day", day: "day", week: "month", month: "month", year: "year" };

export function createSearxngProvider(options: SearxngOptions): SearchProvider {
  if (!options.baseUrl) throw new SearchError({ kind: "config", provider: "searxng", message: "SEARXNG_URL is not set" });
  const base = options.baseUrl.replace(/\/$/, "");
  return {
    name: "searxng",
    async search(query, searchOptions) {
      const parameters = new URLSearchParams({ q: withSiteOperators(query, searchOptions.domains), format: "json", pageno: "1" });
      if (searchOptions.language) parameters.set("language", searchOptions.language);
      if (searchOptions.freshness) parameters.set("time_range", TIME_RANGE[searchOptions.freshness]);
      if (options.engines) parameters.set("engines", options.engines);
      if (options.categories) parameters.set("categories", options.categories);
      const data = await requestJson({
        provider: "searxng",
        fetch: options.fetch,
        url: `${base}/search?${parameters}`,
        init: { method: "GET", headers: { Accept: "application/json" } },
        schema: schema(),
        timeoutMs: options.timeoutMs ?? 10_000,
        classifyStatus: (status) =>
          status === 403
            ? new SearchError({
                kind: "config",
                provider: "searxng",
                status,
                message: "SearXNG refused format=json: enable `json` in search.formats (settings.yml)",
              })
            : undefined,
        ...(searchOptions.signal ? { signal: searchOptions.signal } : {}),
      });
      return normalizeResults(
        "searxng",
        data.results.map((hit) => ({ url: hit.url, title: hit.title, snippet: hit.content, publishedAt: hit.publishedDate })),
        searchOptions.limit,
      );
    },
  };
}
