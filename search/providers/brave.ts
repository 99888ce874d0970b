/**
 * Brave Search web API (`GET /res/v1/web/search`, `X-Subscription-Token`). The domain filter becomes
 * `site:` / `-site:` operators in `q` (kept within Brave's 400 characters / 50 words); recency
 * becomes `freshness` (`pd`/`pw`/`pm`/`py`; Brave has no hour window, so "hour" asks for `pd` and the
 * research stage drops what is older).
 */
import { z } from "zod";
import type { SearchOptions, SearchProvider } from "../types";
import { withSiteOperators } from "../search-filter";
import { normalizeResults } from "./normalize-results";
import { requestJson } from "./request-json";
import { SearchError } from "./search-error";

export interface BraveOptions {
  fetch: typeof fetch;
  apiKey: string;
  baseUrl?: string;
  timeoutMs?: number;
}

let schemaCache: ReturnType<typeof buildSchema> | undefined;
function buildSchema() {
  return z.object({
    web: z
      .object({
        results: z
          .array(z.object({ url: z.string(), title: z.string().optional(), description: z.string().optional(), page_age: z.string().optional() }))
          .default([]),
      })
      .optional(),
  });
}
const schema = () => (schemaCache ??= buildSchema());

const FRESHNESS: Record<NonNullable<SearchOptions["freshness"]>, string> = { hour: "pd", day: "pd", week: "pw", month: "pm", year: "py" };

/** Brave refuses longer queries. */
const BRAVE_QUERY_LIMITS = { maxChars: 400, maxWords: 50 };

export function createBraveProvider(options: BraveOptions): SearchProvider {
  if (!options.apiKey) throw new SearchError({ kind: "config", provider: "brave", message: "BRAVE_API_KEY is not set" });
  const endpoint = `${(options.baseUrl ?? "https://api.search.brave.com").replace(/\/$/, "")}/res/v1/web/search`;
  return {
    name: "brave",
    async search(query, searchOptions) {
      const parameters = new URLSearchParams({
        q: withSiteOperators(query, searchOptions.domains, BRAVE_QUERY_LIMITS),
        count: String(Math.min(Math.max(searchOptions.limit, 1), 20)),
      });
      if (searchOptions.country) parameters.set("country", searchOptions.country);
      if (searchOptions.language) parameters.set("search_lang", searchOptions.language);
      if (searchOptions.freshness) parameters.set("freshness", FRESHNESS[searchOptions.freshness]);
      const data = await requestJson({
        provider: "brave",
        fetch: options.fetch,
        url: `${endpoint}?${parameters}`,
        init: { method: "GET", headers: { Accept: "application/json", "X-Subscription-Token": options.apiKey } },
        schema: schema(),
        timeoutMs: options.timeoutMs ?? 10_000,
        ...(searchOptions.signal ? { signal: searchOptions.signal } : {}),
      });
      return normalizeResults(
        "brave",
        (data.web?.results ?? []).map((hit) => ({ url: hit.url, title: hit.title, snippet: hit.description, publishedAt: hit.page_age })),
        searchOptions.limit,
      );
    },
  };
}
