/**
 * What one step of a crawl works with, shared by the step loop (crawl-step.ts), the seeding
 * (crawl-seed.ts) and the handling of each answer (crawl-visit.ts).
 */
import type { CrawlScope } from "../../../search/crawl/crawl-scope";
import type { SiteIndexStore } from "../site-index-store";
import type { CrawlFetchers } from "./crawl-fetcher";
import type { Crawl, CrawlStore } from "./crawl-store";

export interface CrawlLimits {
  /** Least time between two requests to one host; robots.txt's Crawl-delay raises it. */
  requestIntervalMs: number;
  /** Wall time one alarm invocation works before handing over to the next. */
  stepMs: number;
  /** Requests one invocation makes at most (Workers count subrequests per invocation). */
  stepRequests: number;
  /** Longest pause taken inside an invocation; a longer wait becomes the next alarm. */
  maxInlineWaitMs: number;
}

export interface CrawlContext {
  store: CrawlStore;
  crawl: Crawl;
  fetchers: CrawlFetchers;
  index: SiteIndexStore;
  scope: CrawlScope;
  limits: CrawlLimits;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** True once the crawl was cancelled or the site deleted: stop at the next URL. */
  isCancelled: () => boolean;
}

/** Logs one event of the crawl. */
export function logEvent(context: CrawlContext, event: string, url: string | null, reason?: string | null, detail?: string | null): void {
  context.store.log(context.crawl.id, { at: context.now(), url, event, reason: reason ?? null, detail: detail ?? null });
}

/** Counts and logs a URL the crawl leaves out, with its reason. */
export function skip(context: CrawlContext, url: string, reason: string, detail?: string): void {
  context.store.countSkip(context.crawl.id, reason);
  logEvent(context, "skipped", url, reason, detail ?? null);
}
