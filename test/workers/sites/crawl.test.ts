// The crawler inside workerd (its Durable Object alarm loop, D1 index) against loopback test sites
// (support/test-site.ts): sitemaps, robots.txt, redirects, failures, charsets, pacing, recrawls,
// a restart mid-crawl, budgets and scheduled recrawls.
import { abortAllDurableObjects, createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createSiteIndexProvider } from "../../../search/providers/site-index";
import worker from "../../../workers/index";
import { SiteIndexStore } from "../../../workers/sites/site-index-store";
import { api, type CrawlJson, createSite, json, newTestSite, type SiteJson, uniqueName, waitForCrawl } from "./support/sites";
import type { LoggedRequest } from "./support/test-site";

function search(siteId: string, query: string) {
  const store = new SiteIndexStore(env.SITE_INDEX);
  return createSiteIndexProvider({ siteIds: [siteId], searchPassages: (match, limit) => store.searchPassages(match, limit) }).search(query, { limit: 5 });
}

/** Requests per path (query included), to check that nothing was fetched twice. */
function counts(requests: LoggedRequest[]): Map<string, number> {
  const byPath = new Map<string, number>();
  for (const request of requests) byPath.set(request.path, (byPath.get(request.path) ?? 0) + 1);
  return byPath;
}

function expectNoDuplicates(requests: LoggedRequest[]): void {
  const repeated = [...counts(requests)].filter(([, n]) => n > 1);
  expect(repeated, "URLs fetched more than once in one crawl").toEqual([]);
}

const logOf = (crawl: CrawlJson, path: string) => (crawl.log ?? []).filter((entry) => entry.url !== null && new URL(entry.url).pathname === path);

describe("crawling a loopback site", () => {
  it("reads the sitemap index and its gzip sitemap, follows links in scope, and records why it left the rest", async () => {
    const site = await newTestSite();
    const created = await createSite({ name: uniqueName("full"), startUrls: [`${site.origin}/`] });
    const crawl = await waitForCrawl(created.id, created.latestCrawl!.id);
    // The page that never answered and the bot challenge were not read: the crawl says so.
    expect(crawl).toMatchObject({ status: "partial", reason: "2 URLs could not be read (bot-challenge 1, timeout 1)" });
    const requests = await site.requests();
    expectNoDuplicates(requests);
    const paths = new Set(requests.map((request) => request.path));
    // The sitemap came from robots.txt's Sitemap line: an index listing a gzip sitemap and a plain one.
    for (const path of ["/robots.txt", "/sitemap_index.xml", "/sitemaps/pages.xml.gz", "/sitemaps/more.xml", "/sitemap-only", "/docs/hidden"])
      expect(paths).toContain(path);
    // robots.txt Disallow, rel=nofollow, fragments and tracking parameters: never requested.
    for (const path of ["/private/secret", "/docs/nofollowed", "/docs/install?utm_source=nav"]) expect(paths).not.toContain(path);
    expect(requests.every((request) => request.userAgent?.startsWith("MegrezEdgeBot/"))).toBe(true);

    expect(crawl.skipped).toMatchObject({ "robots-disallowed": 1, "http-404": 1, "not-html": 2, "bot-challenge": 1, timeout: 1, "off-site": 1 });
    // A same-site link that redirects to the cloud metadata address: the outbound guard refuses the hop.
    expect(logOf(crawl, "/to-metadata")[0]).toMatchObject({ event: "skipped", reason: "blocked-address" });
    expect(logOf(crawl, "/to-metadata")[0]?.detail).toContain("169.254.169.254");
    expect(logOf(crawl, "/old-page")[0]?.detail).toContain(`redirected to ${site.origin}/docs/moved`);
    expect(logOf(crawl, "/gbk")[0]?.detail).toContain("gbk");
    expect(logOf(crawl, "/never")[0]).toMatchObject({ event: "skipped", reason: "timeout" });
    expect(crawl.progress).toMatchObject({ indexed: 9, sitemaps: 3, notModified: 0 });

    const view = await json<SiteJson>(await api(`/api/sites/${created.id}`), 200);
    expect(view.index?.pages).toBe(9);
    expect((await search(created.id, "marmalade protocol"))[0]?.url).toBe(`${site.origin}/docs/hidden`);
    // The redirected page is indexed under its final URL.
    expect((await search(created.id, "obsidian migration"))[0]).toMatchObject({ url: `${site.origin}/docs/moved`, title: "Moved page", provider: "site" });
    // The GBK page was decoded and its Chinese text split into bigrams: a Chinese query finds it.
    const chinese = await search(created.id, "向量检索");
    expect(chinese[0]).toMatchObject({ url: `${site.origin}/gbk`, title: "中文页面" });
    expect(chinese[0]?.snippet).toContain("分词");
    // The headings a passage sits under lead its snippet.
    expect((await search(created.id, "zephyrine package manager"))[0]?.snippet).toMatch(/^Requirements: Acme installs/);
  });

  it("paces its requests by robots.txt's Crawl-delay", async () => {
    const site = await newTestSite({ crawlDelay: 1 });
    const created = await createSite({
      name: uniqueName("delay"),
      sitemap: `${site.origin}/sitemaps/more.xml`,
      robotsSitemaps: false,
      exclude: ["/docs/slowish", "/challenge"],
      budgets: { maxDepth: 0 },
    });
    const crawl = await waitForCrawl(created.id, created.latestCrawl!.id);
    expect(crawl.status).toBe("done");
    const requests = await site.requests();
    expect(requests.map((request) => request.path)).toEqual(["/robots.txt", "/sitemaps/more.xml", "/docs/faq", "/files/data.bin", "/"]);
    for (let i = 1; i < requests.length; i++) expect(requests[i]!.at - requests[i - 1]!.at).toBeGreaterThanOrEqual(950);
  });

  it("recrawls incrementally: unchanged pages answer 304 and keep their rows, a changed page is indexed again", async () => {
    const site = await newTestSite();
    const created = await createSite({
      name: uniqueName("recrawl"),
      sitemap: `${site.origin}/sitemaps/more.xml`,
      robotsSitemaps: false,
      exclude: ["/docs/slowish", "/challenge"],
    });
    expect((await waitForCrawl(created.id, created.latestCrawl!.id)).status).toBe("done");
    const first = (await site.requests()).length;
    expect(await search(created.id, "nebula upgrade")).toEqual([]);

    await site.change("/docs/faq");
    const started = await json<CrawlJson>(await api(`/api/sites/${created.id}/crawls`, { method: "POST" }), 202);
    expect(started.trigger).toBe("manual");
    const second = await waitForCrawl(created.id, started.id);
    expect(second.status).toBe("done");
    const again = (await site.requests()).slice(first);
    expectNoDuplicates(again);
    const faq = again.find((request) => request.path === "/docs/faq");
    const home = again.find((request) => request.path === "/");
    // Both were asked conditionally; only the changed one sent a body.
    expect(faq).toMatchObject({ status: 200 });
    expect(faq?.ifNoneMatch).toMatch(/^"[0-9a-f]{16}"$/);
    expect(home).toMatchObject({ status: 304 });
    // Pages found through links in the first crawl (install, configure, hidden) are revisited too.
    expect(second.progress).toMatchObject({ indexed: 1, notModified: 4 });
    expect((await search(created.id, "nebula upgrade"))[0]?.url).toBe(`${site.origin}/docs/faq`);
    expect((await search(created.id, "Acme documentation home"))[0]?.url).toBe(`${site.origin}/`);
  });

  it("resumes after a restart mid-crawl, fetching no URL twice", async () => {
    const site = await newTestSite({ slowMs: 4_000 });
    const created = await createSite({ name: uniqueName("restart"), sitemap: `${site.origin}/sitemaps/more.xml`, robotsSitemaps: false });
    // Wait until the slow page's request is in flight, then restart every Durable Object.
    for (let i = 0; i < 200 && !(await site.requests()).some((request) => request.path === "/docs/slowish"); i++) await new Promise((r) => setTimeout(r, 50));
    await abortAllDurableObjects();
    const crawl = await waitForCrawl(created.id, created.latestCrawl!.id);
    // The interrupted URL (and the bot challenge) were not read: partial, not done.
    expect(crawl).toMatchObject({ status: "partial", reason: "2 URLs could not be read (bot-challenge 1, interrupted 1)" });
    expectNoDuplicates(await site.requests());
    expect(crawl.skipped?.interrupted).toBe(1);
    expect(logOf(crawl, "/docs/slowish")[0]).toMatchObject({ event: "skipped", reason: "interrupted" });
    // The URL after the slow one was still crawled, after the restart.
    expect(logOf(crawl, "/")[0]).toMatchObject({ event: "indexed" });
  });

  it("reports a recrawl of a site that is down as failed, and keeps the index it had", async () => {
    const site = await newTestSite();
    const created = await createSite({
      name: uniqueName("outage"),
      sitemap: `${site.origin}/sitemaps/more.xml`,
      robotsSitemaps: false,
      exclude: ["/docs/slowish", "/challenge"],
    });
    expect((await waitForCrawl(created.id, created.latestCrawl!.id)).status).toBe("done");
    const before = await json<SiteJson>(await api(`/api/sites/${created.id}`), 200);
    expect(before.index?.pages).toBeGreaterThan(1);

    await site.goDown();
    const started = await json<CrawlJson>(await api(`/api/sites/${created.id}/crawls`, { method: "POST" }), 202);
    const outage = await waitForCrawl(created.id, started.id);
    // robots.txt answers 503: RFC 9309 keeps the crawler off the origin, so no page is read.
    expect(outage.status).toBe("failed");
    expect(outage.reason).toMatch(/^no page could be read \(robots-unreachable \d+\)$/);
    expect(outage.progress).toMatchObject({ pagesFetched: 0, removed: 0 });
    expect(outage.log?.at(-1)).toMatchObject({ event: "failed", reason: outage.reason });
    // Nothing was dropped: the index still answers from the pages of the last good crawl.
    const after = await json<SiteJson>(await api(`/api/sites/${created.id}`), 200);
    expect(after.index).toEqual(before.index);
    expect((await search(created.id, "lighthouse cache"))[0]?.url).toBe(`${site.origin}/docs/faq`);
  });

  it("stops at its page budget and at its byte budget, with the reason", async () => {
    const site = await newTestSite();
    const pages = await createSite({ name: uniqueName("pages"), startUrls: [`${site.origin}/`], budgets: { maxPages: 3 } });
    const byPages = await waitForCrawl(pages.id, pages.latestCrawl!.id);
    expect(byPages).toMatchObject({ status: "stopped", reason: "page-budget" });
    expect(byPages.progress.pagesRequested).toBe(3);
    expect(byPages.skipped?.["page-budget"]).toBeGreaterThan(0);

    const bytes = await createSite({ name: uniqueName("bytes"), startUrls: [`${site.origin}/`], robotsSitemaps: false, budgets: { maxBytes: 1024 } });
    const byBytes = await waitForCrawl(bytes.id, bytes.latestCrawl!.id);
    expect(byBytes).toMatchObject({ status: "stopped", reason: "byte-budget" });
    expect(byBytes.progress.bytes).toBeGreaterThanOrEqual(1024);
  });

  it("recrawls on its schedule through the cron dispatcher, once per slot", async () => {
    const site = await newTestSite();
    const created = await createSite({
      name: uniqueName("cron"),
      sitemap: `${site.origin}/sitemaps/more.xml`,
      robotsSitemaps: false,
      exclude: ["/docs/slowish", "/challenge"],
      schedule: { cron: "0 * * * *" },
    });
    await waitForCrawl(created.id, created.latestCrawl!.id);
    const fire = async (at: number) => {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), env, ctx);
      await waitOnExecutionContext(ctx);
    };
    const slot = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
    await fire(slot + 5_000);
    await fire(slot + 65_000);
    const { crawls } = await json<{ crawls: CrawlJson[] }>(await api(`/api/sites/${created.id}/crawls`), 200);
    expect(crawls.map((crawl) => crawl.trigger)).toEqual(["schedule", "create"]);
    const scheduled = await waitForCrawl(created.id, crawls[0]!.id);
    expect(scheduled.status).toBe("done");
    expect(scheduled.progress.notModified).toBeGreaterThan(0);
  });
});
