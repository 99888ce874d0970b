/**
 * Tavily search API (`POST /search`, bearer key). The domain filter becomes `include_domains` /
 * `exclude_domains` (hosts; a URL rule's path is checked afterwards); recency becomes `time_range`
 * (`day`/`week`/`month`/`year`; "hour" asks for `day` and the research stage drops what is older).
 */
import { z } from "zod";
import type { DomainRule, SearchOptions, SearchProvider } from "../types";
import { normalizeResults } from "./normalize-results";
import { requestJson } from "./request-json";
import { SearchError } from "./search-error";

export interface TavilyOptions {
  fetch: typeof fetch;
  apiKey: string;
  baseUrl?: string;
  searchDepth?: "basic" | "advanced";
  timeoutMs?: number;
}

let schemaCache: ReturnType<typeof buildSchema> | undefined;
function buildSchema() {
  return z.object({
    results: z
      .array(z.object({ url: z.string(), title: z.string().optional(), content: z.string().optional(), published_date: z.string().optional() }))
      .default([]),
  });
}
const schema = () => (schemaCache ??= buildSchema());

const TIME_RANGE: Record<NonNullable<SearchOptions["freshness"]>, string> = { hour: "day", day: "day", week: "week", month: "month", year: "year" };

const hosts = (rules: DomainRule[]) => [...new Set(rules.map((rule) => rule.host))];

export function createTavilyProvider(options: TavilyOptions): SearchProvider {
  if (!options.apiKey) throw new SearchError({ kind: "config", provider: "tavily", message: "TAVILY_API_KEY is not set" });
  const endpoint = `${(options.baseUrl ?? "https://api.tavily.com").replace(/\/$/, "")}/search`;
  return {
    name: "tavily",
    async search(query, searchOptions) {
      const allow = searchOptions.domains?.allow ?? [];
      // Tavily excludes whole domains: a deny rule with a path is applied to the results instead.
      const denyHosts = (searchOptions.domains?.deny ?? []).filter((rule) => rule.path === undefined);
      const body = {
        query,
        max_results: Math.min(Math.max(searchOptions.limit, 1), 20),
        search_depth: options.searchDepth ?? "basic",
        ...(searchOptions.freshness ? { time_range: TIME_RANGE[searchOptions.freshness] } : {}),
        ...(allow.length > 0 ? { include_domains: hosts(allow) } : {}),
        ...(denyHosts.length > 0 ? { exclude_domains: hosts(denyHosts) } : {}),
      };
      const data = await requestJson({
        provider: "tavily",
        fetch: options.fetch,
        url: endpoint,
        init: { method: "POST", headers: { Authorization: `Bearer ${options.apiKey}`, "Content-Type": "application/json" }, body: JSON.stringify(body) },
        schema: schema(),
        timeoutMs: options.timeoutMs ?? 10_000,
        ...(searchOptions.signal ? { signal: searchOptions.signal } : {}),
      });
      return normalizeResults(
        "tavily",
        data.results.map((hit) => ({ url: hit.url, title: hit.title, snippet: hit.content, publishedAt: hit.published_date })),
        searchOptions.limit,
      );
    },
  };
}
