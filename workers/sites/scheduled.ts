/**
 * Scheduled recrawls, run by the same cron trigger as the jobs dispatcher (workers/scheduled.ts):
 * the registry names the sites whose recrawl slot has come, and each site's crawler records a crawl
 * for that slot (once: a repeated tick finds it recorded) and runs it in its own alarm loop. The
 * registry's cursor moves only after the crawler accepted, so a failed hand-off is retried on the
 * next tick. A slot that finds a crawl still running is skipped, not queued behind it.
 */
import { configFromEnv } from "../config";
import type { Env } from "../env";
import { createLogger, describeError } from "../log";
import { crawlerStub } from "./crawler/site-crawler";
import { SiteRegistry } from "./site-registry";

/** Most sites handed off per tick; the rest follow on the next tick. */
export const DUE_SITES_BATCH = 100;

export interface CrawlDispatchReport {
  due: number;
  started: number;
  alreadyRunning: number;
  failed: number;
}

export async function dispatchDueCrawls(env: Env, scheduledTime: number): Promise<CrawlDispatchReport> {
  const config = configFromEnv(env);
  const log = createLogger(`cron-sites-${scheduledTime}`, config.ok ? config.value.logLevel : "info");
  const registry = new SiteRegistry(env.SITE_INDEX);
  const due = await registry.due(scheduledTime, DUE_SITES_BATCH);
  const outcomes = await Promise.allSettled(
    due.map(async ({ site, slot }) => {
      const { created } = await crawlerStub(env, site.id).start({ siteId: site.id, spec: site.spec, origin: site.origin, trigger: "schedule", slot });
      await registry.markStarted(site, slot);
      return created;
    }),
  );
  const report: CrawlDispatchReport = { due: due.length, started: 0, alreadyRunning: 0, failed: 0 };
  outcomes.forEach((outcome, i) => {
    if (outcome.status === "fulfilled") {
      if (outcome.value) report.started += 1;
      else report.alreadyRunning += 1;
      return;
    }
    report.failed += 1;
    log.error("recrawl hand-off failed", { siteId: due[i]?.site.id, ...describeError(outcome.reason) });
  });
  if (report.due > 0) log.info("recrawls dispatched", { ...report, scheduledTime: new Date(scheduledTime).toISOString() });
  return report;
}
