/**
 * How a crawl that reached the end of its frontier is reported, truthfully: `done` only when every
 * URL it meant to read was read (or answered for itself: 404, robots disallow, noindex, out of
 * scope…); `partial` when some could not be read for a passing reason (timeout, no connection,
 * 5xx, 429, a bot challenge, robots.txt unreachable, a restart with the URL in flight), with the
 * count by reason; `failed` when not one page could be read (fetched or found unchanged) and
 * something failed: the site was down, or blocked the crawler. Only a `done`
 * crawl may drop pages it did not reach from the index: behind a page that failed there may have
 * been links to pages that still exist.
 */
import type { CrawlCounters, CrawlStatus } from "./crawl-records";

/** Skip reasons that say the URL could not be read this time, not what the site says about it. */
export function isPassingFailure(reason: string): boolean {
  if (["timeout", "network", "deadline", "robots-unreachable", "interrupted", "bot-challenge", "http-408", "http-429"].includes(reason)) return true;
  return /^http-5\d\d$/.test(reason);
}

export interface CrawlOutcome {
  status: Extract<CrawlStatus, "done" | "partial" | "failed">;
  reason: string | null;
}

export function crawlOutcome(skipped: Record<string, number>, counters: Pick<CrawlCounters, "pagesFetched" | "notModified">): CrawlOutcome {
  const failures = Object.entries(skipped).filter(([reason, n]) => n > 0 && isPassingFailure(reason));
  if (failures.length === 0) return { status: "done", reason: null };
  const total = failures.reduce((sum, [, n]) => sum + n, 0);
  const byReason = failures
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ");
  if (counters.pagesFetched + counters.notModified === 0) return { status: "failed", reason: `no page could be read (${byReason})` };
  return { status: "partial", reason: `${total} URL${total === 1 ? "" : "s"} could not be read (${byReason})` };
}
