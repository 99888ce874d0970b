/**
 * The `site` provider: answers from a customer's own crawled site(s) through the site index (an
 * FTS5 table on the edge, queried by the injected `searchPassages`). It returns the same
 * normalized results as every other provider: one per page (its best passage decides the rank and
 * becomes the snippet, under the passage's headings), so the agent reads and cites the pages
 * exactly as it does web results. Only the sites it was built for can match (the site column is
 * part of the query).
 */
import { excerptOf } from "../corpus/corpus-index";
import { matchExpression } from "../site-index/fts-query";
import type { SearchProvider } from "../types";
import { normalizeResults } from "./normalize-results";
import { SearchError } from "./search-error";

export interface SitePassageHit {
  url: string;
  title: string;
  headings: string;
  text: string;
  /** The page's own date, ISO, when it declares one. */
  updated?: string;
  /** Higher is better. */
  score: number;
}

export interface SiteIndexProviderOptions {
  /** Site ids whose passages may match; an empty list matches nothing. */
  siteIds: readonly string[];
  /** Runs a MATCH expression against the index, best passages first. */
  searchPassages: (match: string, limit: number) => Promise<SitePassageHit[]>;
}

/** Passages fetched per wanted page: several passages of one page usually rank together. */
const PASSAGES_PER_RESULT = 8;

export function createSiteIndexProvider(options: SiteIndexProviderOptions): SearchProvider {
  return {
    name: "site",
    async search(query, searchOptions) {
      const limit = Math.max(1, searchOptions.limit);
      const match = matchExpression(query, options.siteIds);
      if (match === undefined) return [];
      let hits: SitePassageHit[];
      try {
        hits = await options.searchPassages(match, limit * PASSAGES_PER_RESULT);
      } catch (error) {
        throw new SearchError({ kind: "upstream", provider: "site", message: "the site index could not be queried", cause: error });
      }
      return normalizeResults(
        "site",
        hits.map((hit) => {
          const excerpt = excerptOf(hit.text) || hit.text.slice(0, 300);
          return { url: hit.url, title: hit.title, snippet: hit.headings ? `${hit.headings}: ${excerpt}` : excerpt, publishedAt: hit.updated };
        }),
        limit,
      );
    },
  };
}
