/**
 * Serper (Google results), the reference's provider. The reference sends `gl=cn`, `hl=zh-CN` and
 * `sort=date`; we send the documented JSON body (`q`, `gl`, `hl`, `num`, `tbs`) and keep `sort`
 * as an option because the reference used it (whether Serper honours it is unverified). The domain
 * filter becomes Google `site:` / `-site:` operators in `q`; recency becomes `tbs=qdr:h|d|w|m|y`.
 */
import { z } from "zod";
import type { SearchOptions, SearchProvider } from "../types";
import { withSiteOperators } from "../search-filter";
import { normalizeResults } from "./normalize-results";
import { requestJson } from "./request-json";
import { SearchError } from "./search-error";

export interface SerperOptions {
  fetch: typeof fetch;
  apiKey: string;
  baseUrl?: string;
  /** Default country (Serper `gl`), e.g. "cn", "us". */
  gl?: string;
  /** Default interface language (Serper `hl`), e.g. "zh-cn". */
  hl?: string;
  /** "date" as the reference sends; omitted by default. */
  sort?: "date";
  timeoutMs?: number;
}

let schemaCache: ReturnType<typeof buildSchema> | undefined;
function buildSchema() {
  return z.object({
    organic: z.array(z.object({ link: z.string(), title: z.string().optional(), snippet: z.string().optional(), date: z.string().optional() })).default([]),
  });
}
const schema = () => (schemaCache ??= buildSchema());

const FRESHNESS_TBS: Record<NonNullable<SearchOptions["freshness"]>, string> = { hour: "qdr:h", day: "qdr:d", week: "qdr:w", month: "qdr:m", year: "qdr:y" };

export function createSerperProvider(options: SerperOptions): SearchProvider {
  if (!options.apiKey) throw new SearchError({ kind: "config", provider: "serper", message: "SERPER_API_KEY is not set" });
  const endpoint = `${(options.baseUrl ?? "https://google.serper.dev").replace(/\/$/, "")}/search`;
  return {
    name: "serper",
    async search(query, searchOptions) {
      const gl = searchOptions.country ?? options.gl;
      const hl = searchOptions.language ?? options.hl;
      const body = {
        q: withSiteOperators(query, searchOptions.domains),
        num: Math.min(Math.max(searchOptions.limit, 1), 100),
        ...(gl ? { gl } : {}),
        ...(hl ? { hl } : {}),
        ...(searchOptions.freshness ? { tbs: FRESHNESS_TBS[searchOptions.freshness] } : {}),
      };
      const url = options.sort ? `${endpoint}?sort=${options.sort}` : endpoint;
      const data = await requestJson({
        provider: "serper",
        fetch: options.fetch,
        url,
        init: { method: "POST", headers: { "X-API-KEY": options.apiKey, "Content-Type": "application/json" }, body: JSON.stringify(body) },
        schema: schema(),
        timeoutMs: options.timeoutMs ?? 10_000,
        ...(searchOptions.signal ? { signal: searchOptions.signal } : {}),
      });
      return normalizeResults(
        "serper",
        data.organic.map((hit) => ({ url: hit.link, title: hit.title, snippet: hit.snippet, publishedAt: hit.date })),
        searchOptions.limit,
      );
    },
  };
}
