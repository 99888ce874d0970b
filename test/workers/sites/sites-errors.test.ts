// The sites API's error answers, in the API's one shape: a wrong method on each sites path is the app's 405 with
// `Allow`, an unknown path under /api/sites its 404, and every 400 names the field at fault in `param`.
import { describe, expect, it } from "vitest";
import { api, createSite, json, newTestSite, uniqueName, waitForCrawl } from "./support/sites";

interface ErrorJson {
  message: string;
  type: string;
  param: string | null;
  code: string;
}

const errorOf = async (response: Response, status: number) => (await json<{ error: ErrorJson }>(response, status)).error;

const SITE = "site_0123456789ab";
const CRAWL = "crawl_0123456789ab";

describe("/api/sites error answers", () => {
  it("answers a method a sites path does not take with 405 and Allow", async () => {
    const cases: [string, string, string][] = [
      ["PUT", "/api/sites", "GET, HEAD, POST"],
      ["DELETE", "/api/sites", "GET, HEAD, POST"],
      ["PUT", `/api/sites/${SITE}`, "GET, HEAD, PATCH, DELETE"],
      ["POST", `/api/sites/${SITE}`, "GET, HEAD, PATCH, DELETE"],
      ["DELETE", `/api/sites/${SITE}/crawls`, "GET, HEAD, POST"],
      ["PATCH", `/api/sites/${SITE}/crawls`, "GET, HEAD, POST"],
      ["POST", `/api/sites/${SITE}/crawls/${CRAWL}`, "GET, HEAD"],
      ["DELETE", `/api/sites/${SITE}/crawls/${CRAWL}`, "GET, HEAD"],
      ["GET", `/api/sites/${SITE}/crawls/${CRAWL}/cancel`, "POST"],
      ["PUT", `/api/sites/${SITE}/crawls/${CRAWL}/cancel`, "POST"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await api(path, { method });
      expect(res.headers.get("allow"), `${method} ${path}`).toBe(allow);
      expect(await errorOf(res, 405)).toEqual({
        message: expect.stringContaining(allow),
        type: "invalid_request_error",
        param: null,
        code: "method_not_allowed",
      });
    }
  });

  it("answers unknown paths under /api/sites with the JSON 404", async () => {
    const paths = [`/api/sites/${SITE}/index`, `/api/sites/${SITE}/crawls/${CRAWL}/log`, `/api/sites/${SITE}/crawls/${CRAWL}/cancel/now`, "/api/sites/"];
    for (const path of paths) {
      for (const method of ["GET", "POST", "DELETE"]) {
        const res = await api(path, { method });
        expect(res.headers.get("content-type"), `${method} ${path}`).toContain("application/json");
        expect(res.headers.get("allow")).toBeNull();
        expect(await errorOf(res, 404)).toEqual({ message: expect.any(String), type: "not_found_error", param: null, code: "not_found" });
      }
    }
  });

  it("names the field at fault in param on every kind of 400", async () => {
    const sitemap = "https://docs.example.com/s.xml";
    const post = async (body: unknown) => errorOf(await api("/api/sites", { method: "POST", json: body }), 400);
    // The schema's own checks: a missing source, a bad name, a bad URL, an unknown field.
    expect(await post({ name: "x-site" })).toMatchObject({ code: "invalid_body", param: "startUrls" });
    expect(await post({ name: "Bad Name", sitemap })).toMatchObject({ code: "invalid_body", param: "name" });
    expect(await post({ name: "x-site", startUrls: ["https://docs.example.com/", "ftp://docs.example.com/"] })).toMatchObject({ param: "startUrls.1" });
    expect(await post({ name: "x-site", sitemap: "https://user:pw@docs.example.com/s.xml" })).toMatchObject({ param: "sitemap" });
    expect(await post({ name: "x-site", sitemap, depth: 3 })).toMatchObject({ code: "invalid_body", param: "depth", message: expect.stringMatching(/depth/) });
    expect(await post({ name: "x-site", sitemap, budgets: { maxPages: 10, pages: 3 } })).toMatchObject({ param: "budgets.pages" });
    // The deployment's limits: SITES_MAX_PAGES, the schedule's pattern, zone and spacing.
    expect(await post({ name: "x-site", sitemap, budgets: { maxPages: 20_000 } })).toMatchObject({ code: "invalid_body", param: "budgets.maxPages" });
    expect(await post({ name: "x-site", sitemap, schedule: { cron: "*/5 * * * *" } })).toMatchObject({ code: "invalid_body", param: "schedule.cron" });
    expect(await post({ name: "x-site", sitemap, schedule: { cron: "not a cron" } })).toMatchObject({ code: "invalid_body", param: "schedule.cron" });
    expect(await post({ name: "x-site", sitemap, schedule: { cron: "0 3 * * *", timezone: "Mars/Olympus" } })).toMatchObject({
      code: "invalid_body",
      param: "schedule.timezone",
    });
    // Not JSON at all: the body as a whole.
    const notJson = await api("/api/sites", { method: "POST", body: "{", headers: { "content-type": "application/json" } });
    expect(await errorOf(notJson, 400)).toMatchObject({ code: "invalid_json", param: null });

    const testSite = await newTestSite();
    const site = await createSite({ name: uniqueName("params"), sitemap: `${testSite.origin}/sitemaps/more.xml`, robotsSitemaps: false });
    await waitForCrawl(site.id, site.latestCrawl!.id);
    const patch = async (body: unknown) => errorOf(await api(`/api/sites/${site.id}`, { method: "PATCH", json: body }), 400);
    expect(await patch({ name: "renamed" })).toMatchObject({ code: "invalid_body", param: "name" });
    expect(await patch({ exclude: ["/a b"] })).toMatchObject({ code: "invalid_body", param: "exclude.0" });
    // Valid alone, invalid once merged into the site: the field that makes it so.
    expect(await patch({ startUrls: [], sitemap: [] })).toMatchObject({ code: "invalid_body", param: "startUrls" });
    expect(await patch({ budgets: { maxPages: 20_000 } })).toMatchObject({ code: "invalid_body", param: "budgets.maxPages" });
    expect(await patch({ schedule: { cron: "0 3 * * *", timezone: "Nowhere/Town" } })).toMatchObject({ code: "invalid_body", param: "schedule.timezone" });
    // An empty patch has no field at fault.
    expect(await patch({})).toMatchObject({ code: "invalid_body", param: null });
  });

  it("takes ?limit, ?logAfter and ?logLimit as whole numbers, and names a bad one in param", async () => {
    const testSite = await newTestSite();
    const site = await createSite({ name: uniqueName("query"), sitemap: `${testSite.origin}/sitemaps/more.xml`, robotsSitemaps: false });
    const crawl = site.latestCrawl!.id;
    await waitForCrawl(site.id, crawl);
    const ok = [`/crawls?limit=1`, `/crawls?limit=500`, `/crawls?limit=`, `/crawls/${crawl}?logAfter=0&logLimit=1000`, `/crawls/${crawl}?logLimit=5000`];
    for (const path of ok) expect((await api(`/api/sites/${site.id}${path}`)).status, path).toBe(200);
    const bad: [string, string][] = [
      ["/crawls?limit=abc", "limit"],
      ["/crawls?limit=0", "limit"],
      ["/crawls?limit=-1", "limit"],
      [`/crawls/${crawl}?logAfter=-1`, "logAfter"],
      [`/crawls/${crawl}?logAfter=1.5`, "logAfter"],
      [`/crawls/${crawl}?logLimit=0`, "logLimit"],
      [`/crawls/${crawl}?logLimit=ten`, "logLimit"],
    ];
    for (const [path, param] of bad) {
      expect(await errorOf(await api(`/api/sites/${site.id}${path}`), 400), path).toEqual({
        message: expect.stringContaining(param),
        type: "invalid_request_error",
        param,
        code: "invalid_query",
      });
    }
  });
});
