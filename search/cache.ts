/**
 * Caching for search results and fetched pages: one small async interface that an in-memory LRU
 * (Node, or an isolate's short life) implements here and that the worker adapts to the Workers
 * Cache API or KV. Keys are normalized so trivially different requests share an entry; values are
 * plain JSON so any backing store can hold them.
 */
import type { FetchOutcome, PageFetcher, SearchOptions, SearchProvider, SearchResult } from "./types";
import { normalizeUrl } from "./canonical-url";
import { searchFilterKey } from "./search-filter";

export { normalizeUrl };

export interface CachePutOptions {
  ttlSeconds?: number;
}

export interface Cache<Value> {
  get(key: string): Promise<Value | undefined>;
  put(key: string, value: Value, options?: CachePutOptions): Promise<void>;
}

export interface LruCacheOptions {
  maxEntries?: number;
  defaultTtlSeconds?: number;
  /** Clock in milliseconds; injectable for tests. */
  now?: () => number;
}

/**
 * An LRU with per-entry expiry, backed by a Map's insertion order.
 *
 * @example
 * const cache = createLruCache<SearchResult[]>({ maxEntries: 500, defaultTtlSeconds: 3600 });
 */
export function createLruCache<Value>(options: LruCacheOptions = {}): Cache<Value> & { readonly size: number } {
  const maxEntries = options.maxEntries ?? 1000;
  const defaultTtl = options.defaultTtlSeconds ?? 3600;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { value: Value; expiresAt: number }>();
  return {
    get size() {
      return entries.size;
    },
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      if (entry.expiresAt <= now()) return undefined;
      entries.set(key, entry);
      return entry.value;
    },
    async put(key, value, putOptions) {
      const ttl = putOptions?.ttlSeconds ?? defaultTtl;
      entries.delete(key);
      if (ttl <= 0) return;
      entries.set(key, { value, expiresAt: now() + ttl * 1000 });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
    },
  };
}

/** Query text normalized for caching: Unicode NFKC, case-folded, whitespace collapsed. */
export function normalizeQuery(query: string): string {
  return query.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}

export function searchCacheKey(providerName: string, query: string, options: Omit<SearchOptions, "signal">): string {
  const parts = [
    providerName,
    normalizeQuery(query),
    String(options.limit),
    options.country ?? "",
    options.language ?? "",
    searchFilterKey({ ...(options.domains ? { domains: options.domains } : {}), ...(options.freshness ? { recency: options.freshness } : {}) }),
  ];
  return `search:${parts.map(encodeURIComponent).join("|")}`;
}

export function pageCacheKey(url: string): string {
  return `page:${normalizeUrl(url)}`;
}

export interface CacheWrapperOptions {
  ttlSeconds?: number;
}

/**
 * A provider that answers repeated queries from `cache`. Only non-empty result lists are stored,
 * so an outage or an empty answer is retried next time rather than remembered.
 */
export function withSearchCache(provider: SearchProvider, cache: Cache<SearchResult[]>, options: CacheWrapperOptions = {}): SearchProvider {
  const ttlSeconds = options.ttlSeconds ?? 3600;
  return {
    name: provider.name,
    async search(query, searchOptions) {
      const { signal, deadline, ...keyOptions } = searchOptions;
      const key = searchCacheKey(provider.name, query, keyOptions);
      const cached = await cache.get(key);
      if (cached) return cached;
      const results = await provider.search(query, { ...keyOptions, ...(signal ? { signal } : {}), ...(deadline === undefined ? {} : { deadline }) });
      if (results.length > 0) await cache.put(key, results, { ttlSeconds });
      return results;
    },
  };
}

/** A page fetcher that serves successful fetches from `cache`; failures are not cached. */
export function withPageCache(fetcher: PageFetcher, cache: Cache<FetchOutcome>, options: CacheWrapperOptions = {}): PageFetcher {
  const ttlSeconds = options.ttlSeconds ?? 6 * 3600;
  return async (url, signal) => {
    const key = pageCacheKey(url);
    const cached = await cache.get(key);
    if (cached) return cached;
    const outcome = await fetcher(url, signal);
    if (outcome.ok) await cache.put(key, outcome, { ttlSeconds });
    return outcome;
  };
}
