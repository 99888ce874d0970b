/**
 * One alarm invocation's share of a crawl: recover what a dead invocation left in flight (those
 * URLs are recorded as `interrupted`, never fetched again in this crawl), seed the frontier on the
 * first step, then visit URLs one at a time, pacing each host (the larger of the configured
 * interval and robots.txt's Crawl-delay), until the frontier is empty (done, partial or failed:
 * crawl-outcome.ts; only a done crawl lets stale pages leave the index), a budget is spent (stopped, with the reason), or the invocation's time or request share
 * is used up (the next alarm goes on). Returns when the next alarm should fire, or null when the
 * crawl has ended.
 */
import { type CrawlContext, logEvent } from "./crawl-context";
import { crawlOutcome } from "./crawl-outcome";
import { seedCrawl } from "./crawl-seed";
import type { CrawlStatus } from "./crawl-store";
import { visit } from "./crawl-visit";

export interface StepCounter {
  requests: number;
}

export async function runCrawlStep(context: CrawlContext, claim: string, counter: StepCounter): Promise<number | null> {
  const { store, crawl, fetchers, limits } = context;
  const started = context.now();
  store.markRunning(crawl.id, started);
  for (const stale of store.staleClaims(crawl.id, claim)) {
    store.complete(crawl.id, stale.key, "skipped", "interrupted");
    store.countSkip(crawl.id, "interrupted");
    logEvent(context, "skipped", stale.url, "interrupted", "the crawler restarted while this URL was in flight; it is not fetched twice in one crawl");
  }
  if (!crawl.seeded) {
    await seedCrawl(context);
    store.markSeeded(crawl.id);
  }
  for (;;) {
    if (context.isCancelled()) return null;
    const elapsed = context.now() - started;
    if (elapsed >= limits.stepMs || counter.requests >= limits.stepRequests) return context.now();
    const current = store.get(crawl.id);
    if (!current) return null;
    const item = store.next(crawl.id);
    if (!item) {
      const outcome = crawlOutcome(store.skipCounts(crawl.id), current.counters);
      await finishCrawl(context, outcome.status, outcome.reason);
      return null;
    }
    const { budgets } = current.spec;
    if (item.kind === "page" && current.counters.pagesRequested >= budgets.maxPages) {
      await finishCrawl(context, "stopped", "page-budget");
      return null;
    }
    if (current.counters.bytes >= budgets.maxBytes) {
      await finishCrawl(context, "stopped", "byte-budget");
      return null;
    }
    const url = new URL(item.url);
    const freshRobots = store.robots(crawl.id, url.origin) === null;
    const rules = await fetchers.robots.rules(url.origin);
    const interval = Math.max(limits.requestIntervalMs, (rules.crawlDelaySeconds ?? 0) * 1000);
    if (freshRobots) store.setHostNextAt(url.host, context.now() + interval);
    const unreachable = fetchers.robots.unreachable(url.origin);
    if (unreachable !== null) {
      store.complete(crawl.id, item.key, "skipped", "robots-unreachable");
      store.countSkip(crawl.id, "robots-unreachable");
      logEvent(context, "skipped", item.url, "robots-unreachable", `robots.txt could not be read (${unreachable}); RFC 9309 asks crawlers to stay away`);
      continue;
    }
    const wait = store.hostNextAt(url.host) - context.now();
    if (wait > 0) {
      if (wait > limits.maxInlineWaitMs || context.now() - started + wait >= limits.stepMs) return context.now() + wait;
      await context.sleep(wait);
    }
    store.claim(crawl.id, item.key, claim);
    store.setHostNextAt(url.host, context.now() + interval);
    await visit(context, item);
  }
}

/**
 * Ends the crawl. A complete (`done`) crawl also drops the pages it no longer found; a `partial`
 * one drops only those now outside the site's scope (an unreached page in scope may sit behind a
 * page that failed this time, so it stays).
 */
export async function finishCrawl(context: CrawlContext, status: Exclude<CrawlStatus, "queued" | "running">, reason: string | null): Promise<void> {
  const { store, crawl } = context;
  if (status === "done" || status === "partial") {
    const complete = status === "done";
    const kept = store.indexedUrls(crawl.id);
    for (const page of await context.index.pages(crawl.siteId)) {
      if (kept.has(page.url) || (!complete && context.scope.check(page.url).ok)) continue;
      await context.index.removePage(crawl.siteId, page.url);
      store.bump(crawl.id, { removed: 1 });
      const why = complete ? "not reached by this crawl (no longer linked, listed or in scope)" : "outside the site's scope now";
      logEvent(context, "removed", page.url, "not-found-again", why);
    }
    const visited = store.frontierKeys(crawl.id);
    for (const known of store.knownPages()) {
      if (!visited.has(known.key) && (complete || !context.scope.check(known.url).ok)) store.forgetKnown(known.key);
    }
  }
  if (status === "stopped" || status === "cancelled") {
    const left = store.queuedCount(crawl.id);
    if (left > 0) store.countSkip(crawl.id, reason ?? status, left);
  }
  if (store.finish(crawl.id, status, reason, context.now())) {
    const counters = store.get(crawl.id)?.counters;
    logEvent(
      context,
      status === "done" ? "finished" : status,
      null,
      reason,
      counters ? `${counters.pagesRequested} page requests, ${counters.indexed} indexed, ${counters.notModified} unchanged, ${counters.skipped} skipped` : null,
    );
  }
}
