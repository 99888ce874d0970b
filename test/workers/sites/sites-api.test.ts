// The sites API: validation, ownership (by API key, as jobs), the crawl routes and deletion.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SiteIndexStore } from "../../../workers/sites/site-index-store";
import { api, type CrawlJson, createSite, json, KEY_B, newTestSite, type SiteJson, uniqueName, waitForCrawl } from "./support/sites";

const errorOf = async (response: Response, status: number) => (await json<{ error: { code: string; message: string; type: string } }>(response, status)).error;

describe("/api/sites", () => {
  it("refuses bad bodies with a message that names the field", async () => {
    const post = (body: unknown) => api("/api/sites", { method: "POST", json: body });
    expect((await errorOf(await post({ name: "x-site" }), 400)).message).toMatch(/startUrls: give `startUrls`, a `sitemap`, or both/);
    expect((await errorOf(await post({ name: "Bad Name", startUrls: ["https://docs.example.com/"] }), 400)).message).toMatch(/^Invalid request body: name:/);
    expect((await errorOf(await post({ name: "x-site", startUrls: ["ftp://docs.example.com/"] }), 400)).message).toMatch(
      /startUrls\.0: must be an absolute http\(s\) URL/,
    );
    expect((await errorOf(await post({ name: "x-site", startUrls: ["https://user:pw@docs.example.com/"] }), 400)).message).toMatch(/without credentials/);
    expect((await errorOf(await post({ name: "x-site", sitemap: "https://docs.example.com/s.xml", depth: 3 }), 400)).message).toMatch(/Unrecognized key/);
    expect((await errorOf(await post({ name: "x-site", sitemap: "https://docs.example.com/s.xml", budgets: { maxPages: 20_000 } }), 400)).message).toMatch(
      /budgets\.maxPages: at most 10000 on this deployment \(SITES_MAX_PAGES\)/,
    );
    expect((await errorOf(await post({ name: "x-site", sitemap: "https://docs.example.com/s.xml", schedule: { cron: "*/5 * * * *" } }), 400)).message).toMatch(
      /fires more often than every 60 minutes/,
    );
    const notJson = await api("/api/sites", { method: "POST", body: "{", headers: { "content-type": "application/json" } });
    expect((await errorOf(notJson, 400)).code).toBe("invalid_json");
  });

  it("keeps each key's sites to itself: another key's site is 404, a name is unique, site keys are refused", async () => {
    const name = uniqueName("owned");
    const { origin } = await newTestSite();
    const site = await createSite({
      name,
      sitemap: `${origin}/sitemaps/more.xml`,
      robotsSitemaps: false,
      schedule: { cron: "0 3 * * *", timezone: "Europe/Berlin" },
    });
    expect(site).toMatchObject({ name, sitemap: [`${origin}/sitemaps/more.xml`], budgets: { maxPages: 500, maxDepth: 5 }, schedule: { cron: "0 3 * * *" } });
    expect(site.id).toMatch(/^site_[0-9a-f]{12}$/);
    // By id or by name, for its owner only.
    expect((await json<SiteJson>(await api(`/api/sites/${name}`), 200)).id).toBe(site.id);
    for (const path of [`/api/sites/${site.id}`, `/api/sites/${name}`, `/api/sites/${site.id}/crawls`])
      expect((await errorOf(await api(path, { key: KEY_B }), 404)).code).toBe("not_found");
    expect((await errorOf(await api(`/api/sites/${site.id}`, { method: "DELETE", key: KEY_B }), 404)).code).toBe("not_found");
    expect((await errorOf(await api(`/api/sites/${site.id}/crawls`, { method: "POST", key: KEY_B }), 404)).code).toBe("not_found");
    const listedByB = await json<{ sites: SiteJson[] }>(await api("/api/sites", { key: KEY_B }), 200);
    expect(listedByB.sites.map((s) => s.id)).not.toContain(site.id);
    // The name is the deployment-wide handle site keys use.
    expect((await errorOf(await api("/api/sites", { method: "POST", json: { name, startUrls: ["https://b.example/"] }, key: KEY_B }), 409)).code).toBe(
      "conflict",
    );
    // No key, a wrong key, a site key: refused.
    expect((await errorOf(await api("/api/sites", { key: null }), 401)).code).toBe("invalid_api_key");
    expect((await errorOf(await api("/api/sites", { key: "not-a-key" }), 401)).code).toBe("invalid_api_key");
    const widget = await api("/api/sites", {
      key: null,
      headers: { "x-site-key": "pk-sites", origin: "https://docs.example.com" },
      vars: { WIDGET_SITE_KEYS: JSON.stringify({ "pk-sites": { origins: ["https://docs.example.com"] } }) },
    });
    expect((await errorOf(widget, 403)).code).toBe("site_key_not_allowed");
  });

  it("changes a site with PATCH, refuses a second crawl while one runs, and deletes the site with its index", async () => {
    const testSite = await newTestSite({ slowMs: 500 });
    const site = await createSite({ name: uniqueName("lifecycle"), sitemap: `${testSite.origin}/sitemaps/more.xml`, robotsSitemaps: false });
    // The first crawl started with the site; a second one waits for it to end.
    const busy = await errorOf(await api(`/api/sites/${site.id}/crawls`, { method: "POST" }), 409);
    expect(busy.message).toContain(site.latestCrawl!.id);
    await waitForCrawl(site.id, site.latestCrawl!.id);

    const patched = await json<SiteJson & { exclude: string[]; schedule: { nextRuns: string[] } }>(
      await api(`/api/sites/${site.id}`, { method: "PATCH", json: { exclude: ["/docs/slowish"], schedule: { cron: "30 4 * * 1" } } }),
      200,
    );
    expect(patched.exclude).toEqual(["/docs/slowish"]);
    expect(patched.schedule.nextRuns).toHaveLength(3);
    expect((await errorOf(await api(`/api/sites/${site.id}`, { method: "PATCH", json: { name: "renamed" } }), 400)).message).toMatch(/Unrecognized key/);
    expect((await errorOf(await api(`/api/sites/${site.id}`, { method: "PATCH", json: { startUrls: [], sitemap: [] } }), 400)).message).toMatch(
      /give `startUrls`/,
    );

    // A recrawl under the new exclude pattern drops the excluded page from the index.
    const crawl = await json<CrawlJson>(await api(`/api/sites/${site.id}/crawls`, { method: "POST" }), 202);
    const done = await waitForCrawl(site.id, crawl.id);
    // The bot challenge was not read, so the crawl is partial; a page now out of scope still leaves.
    expect(done).toMatchObject({ status: "partial", reason: "1 URL could not be read (bot-challenge 1)" });
    expect(done.progress.removed).toBe(1);
    expect(done.log?.some((entry) => entry.event === "removed" && entry.url?.endsWith("/docs/slowish"))).toBe(true);

    const store = new SiteIndexStore(env.SITE_INDEX);
    expect((await store.stats(site.id)).pages).toBeGreaterThan(0);
    expect(await json(await api(`/api/sites/${site.id}`, { method: "DELETE" }), 200)).toEqual({ id: site.id, name: site.name, deleted: true });
    expect(await store.stats(site.id)).toEqual({ pages: 0, passages: 0 });
    expect((await errorOf(await api(`/api/sites/${site.id}`), 404)).code).toBe("not_found");
  });

  it("cancels a running crawl, keeping what it indexed so far", async () => {
    const testSite = await newTestSite({ slowMs: 3_000 });
    const site = await createSite({ name: uniqueName("cancel"), sitemap: `${testSite.origin}/sitemaps/more.xml`, robotsSitemaps: false });
    for (let i = 0; i < 200 && !(await testSite.requests()).some((r) => r.path === "/docs/slowish"); i++) await new Promise((r) => setTimeout(r, 50));
    const cancelled = await json<CrawlJson>(await api(`/api/sites/${site.id}/crawls/${site.latestCrawl!.id}/cancel`, { method: "POST" }), 200);
    expect(cancelled).toMatchObject({ status: "cancelled", reason: "cancelled by the owner" });
    await new Promise((r) => setTimeout(r, 3_500));
    const after = await waitForCrawl(site.id, site.latestCrawl!.id);
    expect(after.status).toBe("cancelled");
    // Nothing after the URL in flight was requested.
    expect((await testSite.requests()).some((r) => r.path === "/")).toBe(false);
  });
});
