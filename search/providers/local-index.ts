/**
 * The default provider: the prebuilt local corpus index, no API key, no network beyond loading the
 * index. Results point at `<baseUrl><slug>.html`, pages the fetcher can fetch like any other
 * (the worker serves them from its static assets under `/corpus/`). The index loads once, lazily;
 * a failed load is reported as `config` and retried on the next query. The search filter applies by
 * each page's URL host (and path, for URL rules) and by its `updatedAt` date, before the results are
 * cut to the limit.
 */
import type { SearchProvider } from "../types";
import { loadCorpusIndex, type LoadedCorpusIndex } from "../corpus/corpus-index";
import { applySearchFilter, isEmptyDomainFilter } from "../search-filter";
import { normalizeResults } from "./normalize-results";
import { SearchError } from "./search-error";

export interface LocalIndexOptions {
  /** Returns the parsed `index.json` (validated here). */
  loadIndex: () => Promise<unknown>;
  /** Where the corpus pages are served, e.g. "http://127.0.0.1:8787/corpus/". */
  baseUrl: string;
  /** Clock for the recency filter (default Date.now). */
  now?: () => number;
}

/** With a filter, this many candidates per wanted result are ranked before filtering. */
const FILTERED_CANDIDATES_PER_RESULT = 20;

export function createLocalIndexProvider(options: LocalIndexOptions): SearchProvider {
  let base: URL;
  try {
    base = new URL(options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`);
  } catch (error) {
    throw new SearchError({ kind: "config", provider: "local", message: `local index baseUrl is not a URL: ${options.baseUrl}`, cause: error });
  }
  let loading: Promise<LoadedCorpusIndex> | undefined;
  const index = (): Promise<LoadedCorpusIndex> => {
    loading ??= (async () => {
      let data: unknown;
      try {
        data = await options.loadIndex();
      } catch (error) {
        throw new SearchError({ kind: "config", provider: "local", message: "local index could not be loaded (run `npm run build:index`)", cause: error });
      }
      const loaded = loadCorpusIndex(data);
      if (!loaded.ok) throw new SearchError({ kind: "config", provider: "local", message: loaded.error });
      return loaded.index;
    })().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
  return {
    name: "local",
    async search(query, searchOptions) {
      const loaded = await index();
      const limit = Math.max(1, searchOptions.limit);
      const filtered = !isEmptyDomainFilter(searchOptions.domains) || searchOptions.freshness !== undefined;
      const hits = loaded.search(query, filtered ? limit * FILTERED_CANDIDATES_PER_RESULT : limit).map((hit) => ({
        url: new URL(`${encodeURIComponent(hit.slug)}.html`, base).href,
        title: hit.title,
        snippet: hit.excerpt,
        ...(hit.updatedAt ? { publishedAt: hit.updatedAt } : {}),
      }));
      const filter = {
        ...(searchOptions.domains ? { domains: searchOptions.domains } : {}),
        ...(searchOptions.freshness ? { recency: searchOptions.freshness } : {}),
      };
      const kept = filtered ? applySearchFilter(hits, filter, (options.now ?? Date.now)()).kept : hits;
      return normalizeResults("local", kept, searchOptions.limit);
    },
  };
}
