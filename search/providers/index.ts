/**
 * Provider construction by name, for entry points that read the provider from configuration:
 * `createSearchProvider("serper", { fetch, apiKey })`. Missing settings fail fast with a
 * `config` SearchError naming what is missing. Also re-exports the provider building blocks.
 */
import type { SearchProvider } from "../types";
import { createBraveProvider } from "./brave";
import { createLocalIndexProvider } from "./local-index";
import { SearchError } from "./search-error";
import { createSearxngProvider } from "./searxng";
import { createSerperProvider } from "./serper";
import { createTavilyProvider } from "./tavily";

export const SEARCH_PROVIDER_NAMES = ["local", "serper", "searxng", "brave", "tavily"] as const;
export type SearchProviderName = (typeof SEARCH_PROVIDER_NAMES)[number];

export interface SearchProviderDeps {
  fetch: typeof fetch;
  /** Serper, Brave, Tavily. */
  apiKey?: string;
  /** SearXNG instance URL; for "local", where corpus pages are served; otherwise an API base override. */
  baseUrl?: string;
  /** "local": returns the parsed index.json. */
  loadIndex?: () => Promise<unknown>;
  timeoutMs?: number;
  /** Serper defaults (the reference uses gl "cn", hl "zh-cn", sort "date"). */
  gl?: string;
  hl?: string;
  sort?: "date";
}

export function isSearchProviderName(value: string): value is SearchProviderName {
  return SEARCH_PROVIDER_NAMES.some((name) => name === value);
}

/**
 * @example
 * const provider = createSearchProvider("searxng", { fetch, baseUrl: "http://127.0.0.1:8888" });
 * const results = await provider.search("megrez 3b", { limit: 5 });
 */
export function createSearchProvider(name: SearchProviderName, deps: SearchProviderDeps): SearchProvider {
  const timeout = deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs };
  switch (name) {
    case "local": {
      if (!deps.loadIndex || !deps.baseUrl)
        throw new SearchError({ kind: "config", provider: "local", message: "the local index needs loadIndex and baseUrl" });
      return createLocalIndexProvider({ loadIndex: deps.loadIndex, baseUrl: deps.baseUrl });
    }
    case "serper":
      return createSerperProvider({
        fetch: deps.fetch,
        apiKey: deps.apiKey ?? "",
        ...timeout,
        ...(deps.baseUrl ? { baseUrl: deps.baseUrl } : {}),
        ...(deps.gl ? { gl: deps.gl } : {}),
        ...(deps.hl ? { hl: deps.hl } : {}),
        ...(deps.sort ? { sort: deps.sort } : {}),
      });
    case "searxng":
      return createSearxngProvider({ fetch: deps.fetch, baseUrl: deps.baseUrl ?? "", ...timeout });
    case "brave":
      return createBraveProvider({ fetch: deps.fetch, apiKey: deps.apiKey ?? "", ...timeout, ...(deps.baseUrl ? { baseUrl: deps.baseUrl } : {}) });
    case "tavily":
      return createTavilyProvider({ fetch: deps.fetch, apiKey: deps.apiKey ?? "", ...timeout, ...(deps.baseUrl ? { baseUrl: deps.baseUrl } : {}) });
  }
}

export { createFallbackChain, type FallbackChainOptions } from "./fallback-chain";
export { SearchError, isSearchError } from "./search-error";
export { createBraveProvider, createLocalIndexProvider, createSearxngProvider, createSerperProvider, createTavilyProvider };
