/**
 * The JSON shapes of the sites API (docs/sites.md): a site with its schedule, index size and latest
 * crawl; a crawl with its counters, skip reasons and (on its own route) its log. Times are ISO
 * strings; owners and internal cursors stay inside.
 */
import { nextRuns } from "../jobs/schedule";
import type { Crawl, LogEntry } from "./crawler/crawl-store";
import type { SiteIndexStats } from "./site-index-store";
import type { StoredSite } from "./site-registry";

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function crawlView(crawl: Crawl, skipped?: Record<string, number>) {
  return {
    id: crawl.id,
    trigger: crawl.trigger,
    status: crawl.status,
    reason: crawl.reason,
    scheduledFor: iso(crawl.slot),
    createdAt: iso(crawl.createdAt),
    startedAt: iso(crawl.startedAt),
    finishedAt: iso(crawl.finishedAt),
    progress: crawl.counters,
    ...(skipped ? { skipped } : {}),
  };
}

export function logView(entry: LogEntry) {
  return { seq: entry.seq, at: new Date(entry.at).toISOString(), event: entry.event, url: entry.url, reason: entry.reason, detail: entry.detail };
}

export function siteView(site: StoredSite, extra: { index?: SiteIndexStats; latestCrawl?: Crawl | null; now: number }) {
  const spec = site.spec;
  return {
    id: site.id,
    name: site.name,
    startUrls: spec.startUrls,
    sitemap: spec.sitemap,
    robotsSitemaps: spec.robotsSitemaps,
    include: spec.include,
    exclude: spec.exclude,
    budgets: spec.budgets,
    schedule: spec.schedule ? { ...spec.schedule, nextRuns: nextRuns(spec.schedule, new Date(extra.now), 3).map((date) => date.toISOString()) } : null,
    createdAt: iso(site.createdAt),
    updatedAt: iso(site.updatedAt),
    ...(extra.index ? { index: extra.index } : {}),
    ...(extra.latestCrawl !== undefined ? { latestCrawl: extra.latestCrawl ? crawlView(extra.latestCrawl) : null } : {}),
  };
}
