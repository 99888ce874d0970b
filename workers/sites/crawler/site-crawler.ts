/**
 * SiteCrawler: one Durable Object per site (named by the site id) that owns the site's crawls and
 * runs them in an alarm loop. Why a Durable Object alarm loop and not Cloudflare Queues: a crawl
 * is a sequential, paced conversation with one host (Crawl-delay), whose frontier must be deduped
 * exactly ("never fetch a URL twice in one crawl") and survive restarts. The object's SQLite holds
 * the frontier with a primary key per URL, transactionally beside the claims and the crawl log; the
 * alarm is the single worker of that frontier, so pacing is a timestamp, not a distributed lock;
 * an alarm survives restarts and is retried when an invocation dies. Queues would deliver URLs
 * at least once, in parallel, to consumers that would still need this storage to dedupe and pace,
 * and they need a paid plan and an account to run outside tests; alarms need neither.
 *
 * Each alarm works for a bounded time and number of requests, then sets the next alarm (at once,
 * or when the host's Crawl-delay allows). A watchdog alarm set at the start of each invocation
 * wakes the object again if the invocation dies. The index lives in D1 (SITE_INDEX).
 */
import { DurableObject } from "cloudflare:workers";
import { createCrawlScope } from "../../../search/crawl/crawl-scope";
import { configFromEnv, type SitesConfig } from "../../config";
import type { Env } from "../../env";
import { createLogger, describeError } from "../../log";
import { randomHex } from "../../random-id";
import type { SiteSpec } from "../site-spec";
import { SiteIndexStore } from "../site-index-store";
import type { CrawlContext } from "./crawl-context";
import { createCrawlFetchers } from "./crawl-fetcher";
import { finishCrawl, runCrawlStep } from "./crawl-step";
import { type Crawl, type CrawlTrigger, CrawlStore, type LogEntry } from "./crawl-store";

/** A step that throws this many times in a row fails the crawl. */
const MAX_STEP_FAILURES = 5;
/** Extra time past the step budget (and one page's timeout) before the watchdog alarm fires. */
const WATCHDOG_GRACE_MS = 5_000;

export interface StartCrawlInput {
  siteId: string;
  spec: SiteSpec;
  /** The worker's own origin when the site was created (the demo site's pages are read from the assets). */
  origin: string;
  trigger: CrawlTrigger;
  slot: number | null;
}

export interface CrawlDetails {
  crawl: Crawl;
  skipped: Record<string, number>;
  log: LogEntry[];
}

export class SiteCrawler extends DurableObject<Env> {
  private readonly store: CrawlStore;
  /** Set by `destroy()`: a step under way stops touching the (deleted) tables. */
  private destroyed = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new CrawlStore(ctx.storage.sql);
  }

  /** Records a crawl (or finds the one already running, or the one of this schedule slot) and wakes the loop. */
  async start(input: StartCrawlInput): Promise<{ crawl: Crawl; created: boolean }> {
    const active = this.store.active();
    if (active) return { crawl: active, created: false };
    const { crawl, created } = this.store.createCrawl({ id: `crawl_${randomHex(8)}`, ...input, now: Date.now() });
    if (created) await this.ctx.storage.setAlarm(Date.now());
    return { crawl, created };
  }

  /** Stops a queued or running crawl; the URL in flight finishes, nothing after it starts. */
  async cancel(crawlId: string): Promise<Crawl | null> {
    const crawl = this.store.get(crawlId);
    if (!crawl) return null;
    if (crawl.status === "queued" || crawl.status === "running") {
      await finishCrawl(this.context(crawl, this.sitesConfig(), { requests: 0 }), "cancelled", "cancelled by the owner");
    }
    return this.store.get(crawlId);
  }

  crawls(limit: number): Crawl[] {
    return this.store.list(limit);
  }

  details(crawlId: string, logAfter: number, logLimit: number): CrawlDetails | null {
    const crawl = this.store.get(crawlId);
    if (!crawl) return null;
    return { crawl, skipped: this.store.skipCounts(crawlId), log: this.store.logEntries(crawlId, logAfter, logLimit) };
  }

  /** Forgets everything (the site was deleted). */
  async destroy(): Promise<void> {
    this.destroyed = true;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  override async alarm(): Promise<void> {
    if (this.destroyed) return;
    const crawl = this.store.active();
    if (!crawl) return;
    const config = this.sitesConfig();
    await this.ctx.storage.setAlarm(Date.now() + config.stepMs + config.pageTimeoutMs + WATCHDOG_GRACE_MS);
    let next: number | null;
    try {
      const counter = { requests: 0 };
      next = await runCrawlStep(this.context(crawl, config, counter), randomHex(8), counter);
      this.store.clearFailures(crawl.id);
    } catch (error) {
      if (this.destroyed) return;
      const retry = await this.stepFailed(crawl, config, error);
      if (retry === undefined) return;
      next = retry;
    }
    if (this.destroyed) return;
    // A crawl that ended may have another one queued behind it.
    if (next === null && this.store.active()) next = Date.now();
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }

  private sitesConfig(): SitesConfig {
    const config = configFromEnv(this.env);
    // Requests reach this object only through routes that already refused a bad configuration.
    if (!config.ok) throw config.error;
    return config.value.sites;
  }

  /**
   * Counts a failed step and picks the retry time; after MAX_STEP_FAILURES the crawl fails.
   * Undefined when the object itself is gone (reset or deleted): the watchdog alarm resumes it.
   */
  private async stepFailed(crawl: Crawl, config: SitesConfig, error: unknown): Promise<number | null | undefined> {
    const log = createLogger(crawl.id, "info");
    try {
      const failures = this.store.recordFailure(crawl.id);
      log.error("crawl step failed", { siteId: crawl.siteId, failures, ...describeError(error) });
      if (failures < MAX_STEP_FAILURES) return Date.now() + 1000 * 2 ** failures;
      const detail = error instanceof Error ? error.message : String(error);
      await finishCrawl(this.context(crawl, config, { requests: 0 }), "failed", `step failed ${failures} times: ${detail}`.slice(0, 300));
      return null;
    } catch {
      // Storage refuses every call once the object was reset mid-step (a deploy, an eviction). Not
      // logged here: the next step records the URL that was in flight as `interrupted` in the
      // crawl's own log, and a console call from an object whose I/O is already broken leaves
      // the workers test pool (0.15) hanging at teardown (cloudflare/workers-sdk#14180).
      return undefined;
    }
  }

  /** The step's world; `counter` counts the requests it makes (the transport bumps it). */
  private context(crawl: Crawl, config: SitesConfig, counter: { requests: number }): CrawlContext {
    const store = this.store;
    const fetchers = createCrawlFetchers({
      store,
      crawlId: crawl.id,
      ownOrigin: crawl.origin,
      assets: this.env.ASSETS,
      allowPrivateAddresses: config.allowPrivateFetch,
      allowHosts: config.allowFetchHosts,
      timeoutMs: config.pageTimeoutMs,
      onRequest: () => {
        counter.requests += 1;
      },
    });
    return {
      store,
      crawl,
      fetchers,
      index: new SiteIndexStore(this.env.SITE_INDEX),
      scope: createCrawlScope({ startUrls: crawl.spec.startUrls, sitemaps: crawl.spec.sitemap, include: crawl.spec.include, exclude: crawl.spec.exclude }),
      limits: { requestIntervalMs: config.requestIntervalMs, stepMs: config.stepMs, stepRequests: config.stepRequests, maxInlineWaitMs: 5_000 },
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      isCancelled: () => this.destroyed || !["queued", "running"].includes(store.get(crawl.id)?.status ?? ""),
    };
  }
}

export function crawlerStub(env: Env, siteId: string): DurableObjectStub<SiteCrawler> {
  return env.SITE_CRAWLER.get(env.SITE_CRAWLER.idFromName(siteId));
}
