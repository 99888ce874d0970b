/**
 * The edge's cache for search results and fetched pages: the search layer's
 * `Cache` interface (search/cache.ts) over the Workers Cache API, so repeated
 * questions in a colo skip the provider call and the page download. Entries
 * are JSON written by this worker and validated again when read (a cache is
 * a boundary too). The Cache API is per data centre and, on a workers.dev
 * subdomain, a no-op: it takes effect on a custom domain.
 */
import { z } from "zod";
import type { Cache } from "../search/cache";
import type { FetchOutcome, SearchResult } from "../search/types";

const KEY_ORIGIN = "https://cache.megrez-edge.internal";

const searchResultsSchema = z.array(
  z.object({
    rank: z.number(),
    url: z.string(),
    title: z.string(),
    snippet: z.string(),
    provider: z.string(),
    publishedAt: z.string().optional(),
  }),
);

/** Only successful page fetches are cached (withPageCache stores nothing else). */
const fetchedPageSchema = z.object({
  ok: z.literal(true),
  url: z.string(),
  finalUrl: z.string(),
  status: z.number(),
  contentType: z.string(),
  body: z.string(),
  truncated: z.boolean(),
  charset: z.string().optional(),
});

function createEdgeCache<Value>(namespace: string, schema: z.ZodType<Value>, store: () => globalThis.Cache): Cache<Value> {
  const keyUrl = (key: string) => `${KEY_ORIGIN}/${namespace}/${encodeURIComponent(key)}`;
  return {
    async get(key) {
      const hit = await store().match(keyUrl(key));
      if (!hit) return undefined;
      const parsed = schema.safeParse(await hit.json().catch(() => undefined));
      return parsed.success ? parsed.data : undefined;
    },
    async put(key, value, options) {
      const ttl = Math.floor(options?.ttlSeconds ?? 0);
      if (ttl <= 0) return;
      const response = new Response(JSON.stringify(value), {
        headers: { "content-type": "application/json", "cache-control": `max-age=${ttl}` },
      });
      await store().put(keyUrl(key), response);
    },
  };
}

const defaultStore = () => caches.default;

export function searchResultsCache(store: () => globalThis.Cache = defaultStore): Cache<SearchResult[]> {
  return createEdgeCache("search", searchResultsSchema, store);
}

export function pageCache(store: () => globalThis.Cache = defaultStore): Cache<FetchOutcome> {
  return createEdgeCache("page", fetchedPageSchema, store);
}
