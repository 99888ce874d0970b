/**
 * The sites API under /api/sites (docs/sites.md): create, read, change and delete the sites a
 * widget or a chat request can answer from, and start, watch or cancel their crawls. Every route
 * needs a Bearer API key (API_KEYS; open when unset) and only sees that key's own sites: another
 * key's site answers 404, exactly like a site that does not exist. Site keys are refused.
 */
import { Hono, type Context } from "hono";
import type { ApiEnv } from "../api-context";
import { ApiError, errorResponse, internalError, isApiError } from "../errors";
import { checkSchedule } from "../jobs/schedule";
import { describeError } from "../log";
import { requireAuth } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { requestContext } from "../middleware/request-context";
import { ownerOf } from "../owner";
import { queryInt } from "../query-int";
import { formatIssues, issueParam, readJsonBody } from "../request-body";
import { crawlerStub } from "./crawler/site-crawler";
import { SiteIndexStore } from "./site-index-store";
import { SiteRegistry, type StoredSite } from "./site-registry";
import { MAX_SITE_BODY_BYTES, mergeSitePatch, sitePatchSchema, siteSpecSchema, type SiteSpec } from "./site-spec";
import { crawlView, logView, siteView } from "./views";

export const sitesRoutes = new Hono<ApiEnv>();

const MAX_LISTED = 100;

// In hono `/x/*` also matches `/x`, so one pattern covers the collection and its items.
sitesRoutes.use("/api/sites/*", requestContext(), requireAuth({ allowSiteKeys: false }), rateLimit());

sitesRoutes.onError((err, c) => {
  if (isApiError(err)) return errorResponse(err);
  c.get("log")?.error("sites route failed", describeError(err));
  return errorResponse(internalError());
});

sitesRoutes.post("/api/sites", async (c) => {
  const spec = await readJsonBody(c, siteSpecSchema, MAX_SITE_BODY_BYTES);
  const config = c.get("config").sites;
  assertSpec(c, spec);
  const now = Date.now();
  const outcome = await registry(c).create(owner(c), spec, baseUrl(c), now, config.maxSitesPerKey);
  if (!outcome.ok) {
    if (outcome.reason === "name-taken") throw new ApiError("conflict", `The site name "${spec.name}" is taken; choose another.`);
    throw new ApiError("invalid_body", `This API key already has ${config.maxSitesPerKey} sites (SITES_MAX_PER_KEY); delete one first.`);
  }
  const site = outcome.site;
  const { crawl } = await crawlerStub(c.env, site.id).start({ siteId: site.id, spec: site.spec, origin: site.origin, trigger: "create", slot: null });
  return c.json(siteView(site, { now, latestCrawl: crawl, index: { pages: 0, passages: 0 } }), 201);
});

sitesRoutes.get("/api/sites", async (c) => {
  const sites = await registry(c).list(owner(c));
  const now = Date.now();
  return c.json({ sites: sites.map((site) => siteView(site, { now })) });
});

sitesRoutes.get("/api/sites/:id", async (c) => {
  const site = await ownedSite(c);
  const [index, crawls] = await Promise.all([new SiteIndexStore(c.env.SITE_INDEX).stats(site.id), crawlerStub(c.env, site.id).crawls(1)]);
  return c.json(siteView(site, { now: Date.now(), index, latestCrawl: crawls[0] ?? null }));
});

sitesRoutes.patch("/api/sites/:id", async (c) => {
  const patch = await readJsonBody(c, sitePatchSchema, MAX_SITE_BODY_BYTES);
  const site = await ownedSite(c);
  const merged = siteSpecSchema.safeParse(mergeSitePatch(site.spec, patch));
  if (!merged.success) throw new ApiError("invalid_body", `Invalid site after the patch: ${formatIssues(merged.error)}`, {}, issueParam(merged.error));
  assertSpec(c, merged.data);
  const updated = await registry(c).update(site, merged.data, Date.now());
  return c.json(siteView(updated, { now: Date.now() }));
});

sitesRoutes.delete("/api/sites/:id", async (c) => {
  const site = await ownedSite(c);
  // Crawler first (it stops writing), then the index, then the registry row: a failure part-way
  // leaves the site listed, so the delete can be repeated.
  await crawlerStub(c.env, site.id).destroy();
  await new SiteIndexStore(c.env.SITE_INDEX).removeSite(site.id);
  await registry(c).delete(site);
  return c.json({ id: site.id, name: site.name, deleted: true });
});

/** Crawls the site now, outside its schedule; answers at once, the crawl runs in the crawler's alarm loop. */
sitesRoutes.post("/api/sites/:id/crawls", async (c) => {
  const site = await ownedSite(c);
  const { crawl, created } = await crawlerStub(c.env, site.id).start({ siteId: site.id, spec: site.spec, origin: site.origin, trigger: "manual", slot: null });
  if (!created) throw new ApiError("conflict", `Crawl ${crawl.id} of this site is still ${crawl.status}; cancel it or wait for it to end.`);
  return c.json(crawlView(crawl), 202);
});

sitesRoutes.get("/api/sites/:id/crawls", async (c) => {
  const site = await ownedSite(c);
  const crawls = await crawlerStub(c.env, site.id).crawls(queryInt(c.req.query("limit"), "limit", { fallback: 20, min: 1, max: MAX_LISTED }));
  return c.json({ crawls: crawls.map((crawl) => crawlView(crawl)) });
});

sitesRoutes.get("/api/sites/:id/crawls/:crawlId", async (c) => {
  const site = await ownedSite(c);
  const after = queryInt(c.req.query("logAfter"), "logAfter", { fallback: 0, min: 0, max: Number.MAX_SAFE_INTEGER });
  const limit = queryInt(c.req.query("logLimit"), "logLimit", { fallback: 200, min: 1, max: 1000 });
  const details = await crawlerStub(c.env, site.id).details(c.req.param("crawlId"), after, limit);
  if (!details) throw new ApiError("not_found", `No crawl ${c.req.param("crawlId")} of site ${site.name}.`);
  return c.json({ ...crawlView(details.crawl, details.skipped), log: details.log.map(logView) });
});

sitesRoutes.post("/api/sites/:id/crawls/:crawlId/cancel", async (c) => {
  const site = await ownedSite(c);
  const crawl = await crawlerStub(c.env, site.id).cancel(c.req.param("crawlId"));
  if (!crawl) throw new ApiError("not_found", `No crawl ${c.req.param("crawlId")} of site ${site.name}.`);
  return c.json(crawlView(crawl));
});

// Unknown paths and methods under /api/sites: the app's 404 / 405 with Allow (workers/no-route.ts).
sitesRoutes.all("/api/sites", (c) => c.notFound());
sitesRoutes.all("/api/sites/*", (c) => c.notFound());

function registry(c: Context<ApiEnv>): SiteRegistry {
  return new SiteRegistry(c.env.SITE_INDEX);
}

function owner(c: Context<ApiEnv>): string {
  return ownerOf(c.get("principal"), "sites");
}

async function ownedSite(c: Context<ApiEnv>): Promise<StoredSite> {
  const id = c.req.param("id") ?? "";
  const site = await registry(c).get(owner(c), id);
  if (!site) throw new ApiError("not_found", `No site ${id}.`);
  return site;
}

/** Deployment limits a valid spec must also respect. */
function assertSpec(c: Context<ApiEnv>, spec: SiteSpec): void {
  const config = c.get("config").sites;
  if (spec.budgets.maxPages > config.maxPages) {
    const message = `Invalid request body: budgets.maxPages: at most ${config.maxPages} on this deployment (SITES_MAX_PAGES)`;
    throw new ApiError("invalid_body", message, {}, "budgets.maxPages");
  }
  if (spec.schedule) {
    const check = checkSchedule(spec.schedule, config.minIntervalMinutes, new Date());
    if (!check.ok) throw new ApiError("invalid_body", `Invalid request body: schedule: ${check.message}`, {}, `schedule.${check.field}`);
  }
}

function baseUrl(c: Context<ApiEnv>): string {
  return c.get("config").publicUrl ?? new URL(c.req.url).origin;
}
