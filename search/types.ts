/**
 * The contracts of the search layer: what a provider returns, what the page
 * fetcher returns, what extraction and passage selection produce. Everything
 * between "the model wants to search for X" and "here are the passages to
 * read" speaks these types. Platform-free: no Node, no Workers globals. The search filter
 * (domain allow/deny list, recency window) is defined in `./search-filter`.
 */
import type { DomainFilter, Recency } from "./search-filter";

export type { DomainFilter, DomainRule, Recency, SearchFilter } from "./search-filter";

/** One normalized search hit, 1-based `rank` in the provider's order. */
export interface SearchResult {
  rank: number;
  url: string;
  title: string;
  snippet: string;
  /** Provider that produced the hit (after fallback). */
  provider: string;
  publishedAt?: string;
}

export interface SearchOptions {
  /** Maximum number of results wanted. */
  limit: number;
  /** Country / language hints (Serper's gl/hl). */
  country?: string;
  language?: string;
  /** Recency window ("hour" … "year"); each provider maps it to its nearest native window (docs/search.md). */
  freshness?: Recency;
  /**
   * Domain allow/deny rules: each provider applies them natively (`site:` operators, Tavily's
   * include/exclude lists, the local index by host); the research stage drops what still breaks them.
   */
  domains?: DomainFilter;
  signal?: AbortSignal;
  /**
   * When the caller stops waiting (ms since the epoch, by the chain's clock). A fallback chain gives each
   * provider attempt a share of the time left, so a provider that hangs leaves time for the next one.
   */
  deadline?: number;
}

export type SearchErrorKind = "auth" | "rate-limited" | "timeout" | "upstream" | "empty" | "invalid-response" | "config";

export interface SearchProvider {
  readonly name: string;
  search(query: string, options: SearchOptions): Promise<SearchResult[]>;
}

/** Outcome of fetching one page: never thrown, always typed. */
export type FetchOutcome =
  | {
      ok: true;
      url: string;
      finalUrl: string;
      status: number;
      contentType: string;
      body: string;
      truncated: boolean;
      /** WHATWG name of the encoding the body was decoded from, e.g. "utf-8", "gbk". */
      charset?: string;
      /** Validators of the response, for a later conditional request (crawler recrawls). */
      etag?: string;
      lastModified?: string;
    }
  | {
      ok: false;
      url: string;
      reason:
        | "blocked-address"
        | "bad-scheme"
        | "too-many-redirects"
        | "timeout"
        | "too-large"
        | "unsupported-type"
        | "pdf"
        | "robots-disallowed"
        | "bot-challenge"
        | "paywall"
        | "http-error"
        | "network"
        | "deadline"
        /** A conditional request (FetchRequestOptions.conditional) answered 304: nothing changed. */
        | "not-modified";
      status?: number;
      detail?: string;
    };

export interface ExtractedPage {
  url: string;
  canonicalUrl?: string;
  title: string;
  /** Clean text that keeps structure (headings, lists, tables, code) as Markdown-ish text. */
  text: string;
  publishedAt?: string;
  language?: string;
}

export interface Passage {
  text: string;
  score: number;
  /** Order of the passage in the page, for re-assembly in reading order. */
  index: number;
}

/** Counts tokens; the engine's tokenizer when reachable, else a conservative estimate. */
export type TokenCounter = (text: string) => number | Promise<number>;

/** Validators from an earlier fetch of the same URL, sent as `If-None-Match` / `If-Modified-Since`. */
export interface ConditionalRequest {
  etag?: string;
  lastModified?: string;
}

export interface FetchRequestOptions {
  conditional?: ConditionalRequest;
}

/** Fetches one page; failures come back as `{ ok: false, reason }`, never as exceptions. */
export type PageFetcher = (url: string, signal?: AbortSignal, options?: FetchRequestOptions) => Promise<FetchOutcome>;
