/**
 * The default provider: the prebuilt local corpus index, no API key, no network beyond loading the
 * index. Results point at `<baseUrl><slug>.html`, pages the fetcher can fetch like any other
 * (the worker serves them from its static assets under `/corpus/`). The index loads once, lazily;
 * a failed load is reported as `config` and retried on the next query.
 */
import type { SearchProvider } from "../types";
import { loadCorpusIndex, type LoadedCorpusIndex } from "../corpus/corpus-index";
import { normalizeResults } from "./normalize-results";
import { SearchError } from "./search-error";

export interface LocalIndexOptions {
  /** Returns the parsed `index.json` (validated here). */
  loadIndex: () => Promise<unknown>;
  /** Where the corpus pages are served, e.g. "http://127.0.0.1:8787/corpus/". */
  baseUrl: string;
}

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
      const hits = loaded.search(query, Math.max(1, searchOptions.limit));
      return normalizeResults(
        "local",
        hits.map((hit) => ({
          url: new URL(`${encodeURIComponent(hit.slug)}.html`, base).href,
          title: hit.title,
          snippet: hit.excerpt,
          publishedAt: hit.updatedAt,
        })),
        searchOptions.limit,
      );
    },
  };
}
