/**
 * The search half of the agent's dependencies: the configured provider (with
 * its fallback chain), and a page fetcher that reads this worker's own corpus
 * pages (`<base>/corpus/…`) through the ASSETS binding (trusted, no network)
 * and everything else through the guarded fetcher, which refuses private
 * addresses unless ALLOW_PRIVATE_FETCH is set. Web search results and web
 * pages go through the edge cache (workers/edge-cache.ts); the local corpus
 * needs none. A request scoped to crawled sites (workers/sites/site-scope.ts)
 * searches the site index instead (the `site` provider over D1), never the web.
 */
import type { AgentDeps } from "../agent/run-agent";
import { extractPage } from "../search/extract";
import { createPageFetcher } from "../search/fetch";
import { selectPassages } from "../search/passages";
import { withPageCache, withSearchCache } from "../search/cache";
import { createFallbackChain, createSearchProvider, type SearchProviderName } from "../search/providers/index";
import { createSiteIndexProvider } from "../search/providers/site-index";
import type { SearchProvider } from "../search/types";
import type { WorkerConfig } from "./config";
import { pageCache, searchResultsCache } from "./edge-cache";
import type { Env } from "./env";
import { SiteIndexStore } from "./sites/site-index-store";

export type SearchDeps = Pick<AgentDeps, "search" | "fetchPage" | "extract" | "selectPassages">;

const CORPUS_PATH = "/corpus/";

/** Reads a corpus URL from the static assets, whatever host the URL names. */
function assetsFetch(env: Env): typeof fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    return env.ASSETS.fetch(new Request(new URL(url.pathname, "https://assets.local"), { method: init?.method ?? "GET" }));
  };
}

export function isCorpusUrl(url: string, corpusBase: string): boolean {
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  return parsed.origin === new URL(corpusBase).origin && parsed.pathname.startsWith(CORPUS_PATH);
}

/**
 * Local index providers by corpus URL, kept for the isolate's life: the index
 * ships with the deployment's assets and never changes under it, and loading
 * it per request would parse the whole index for every question.
 */
const localProviders = new Map<string, SearchProvider>();
const MAX_LOCAL_PROVIDERS = 8;

function localProvider(env: Env, corpusBase: string): SearchProvider {
  const baseUrl = new URL(CORPUS_PATH, corpusBase).href;
  const cached = localProviders.get(baseUrl);
  if (cached) return cached;
  const fromAssets = assetsFetch(env);
  const provider = createSearchProvider("local", {
    fetch: fromAssets,
    baseUrl,
    loadIndex: async () => {
      const res = await fromAssets(new URL("index.json", baseUrl));
      if (!res.ok) throw new Error(`corpus index unavailable (HTTP ${res.status})`);
      return res.json();
    },
  });
  if (localProviders.size >= MAX_LOCAL_PROVIDERS) localProviders.clear();
  localProviders.set(baseUrl, provider);
  return provider;
}

function providerFor(name: SearchProviderName, env: Env, config: WorkerConfig, corpusBase: string): SearchProvider {
  const network: typeof fetch = (input, init) => fetch(input, init);
  switch (name) {
    case "local":
      return localProvider(env, corpusBase);
    case "searxng":
      return withSearchCache(
        createSearchProvider("searxng", { fetch: network, ...(config.search.searxngUrl ? { baseUrl: config.search.searxngUrl } : {}) }),
        searchResultsCache(),
      );
    case "serper":
    case "brave":
    case "tavily": {
      const apiKey = config.search.apiKeys[name];
      return withSearchCache(createSearchProvider(name, { fetch: network, ...(apiKey ? { apiKey } : {}) }), searchResultsCache());
    }
  }
}

/** Where an answer's sources come from: the configured providers, or only these crawled sites. */
export interface SearchScope {
  siteIds?: readonly string[];
}

function configuredSearch(env: Env, config: WorkerConfig, corpusBase: string): SearchProvider {
  const providers = [config.search.provider, ...config.search.fallback].map((name) => providerFor(name, env, config, corpusBase));
  const [first] = providers;
  return providers.length === 1 && first ? first : createFallbackChain(providers);
}

/**
 * @param corpusBase origin the local corpus's page URLs use (PUBLIC_URL or the request's origin).
 */
export function createSearchDeps(env: Env, config: WorkerConfig, corpusBase: string, scope: SearchScope = {}): SearchDeps {
  const siteIndex = new SiteIndexStore(env.SITE_INDEX);
  const search = scope.siteIds
    ? createSiteIndexProvider({ siteIds: scope.siteIds, searchPassages: (match, limit) => siteIndex.searchPassages(match, limit) })
    : configuredSearch(env, config, corpusBase);
  const corpusPages = createPageFetcher({ fetch: assetsFetch(env), allowPrivateAddresses: true, robots: false });
  const webPages = withPageCache(
    createPageFetcher({ fetch: (input, init) => fetch(input, init), allowPrivateAddresses: config.allowPrivateFetch, allowHosts: config.allowFetchHosts }),
    pageCache(),
  );
  return {
    search,
    fetchPage: (url, signal) => (isCorpusUrl(url, corpusBase) ? corpusPages(url, signal) : webPages(url, signal)),
    extract: extractPage,
    selectPassages,
  };
}
