// The crawl's scope: its hosts, include and exclude patterns, and one key per page.
import { describe, expect, it } from "vitest";
import { crawlKey, createCrawlScope } from "../../../../search/crawl/crawl-scope";

describe("crawl scope", () => {
  const scope = createCrawlScope({
    startUrls: ["https://docs.acme.com/"],
    sitemaps: ["https://help.acme.com/sitemap.xml"],
    include: ["https://docs.acme.com/guide/*", "/faq/*"],
    exclude: ["*.pdf$", "/guide/drafts/*"],
  });

  it("stays on the site's hosts and applies include and exclude (exclude wins)", () => {
    expect(scope.check("https://docs.acme.com/guide/install")).toEqual({ ok: true });
    expect(scope.check("https://help.acme.com/faq/billing")).toEqual({ ok: true });
    expect(scope.check("https://docs.acme.com/blog/post")).toEqual({ ok: false, reason: "not-included" });
    expect(scope.check("https://docs.acme.com/guide/drafts/x")).toEqual({ ok: false, reason: "excluded" });
    expect(scope.check("https://docs.acme.com/guide/manual.pdf")).toEqual({ ok: false, reason: "excluded" });
    expect(scope.check("https://evil.example/guide/install")).toEqual({ ok: false, reason: "off-site" });
    expect(scope.check("https://docs.acme.com.evil.example/guide/x")).toEqual({ ok: false, reason: "off-site" });
    expect(scope.check("ftp://docs.acme.com/guide/x")).toEqual({ ok: false, reason: "bad-url" });
  });

  it("keys a page once whatever its spelling", () => {
    const key = crawlKey("https://docs.acme.com/guide/install");
    for (const spelling of [
      "https://docs.acme.com/guide/install/",
      "https://DOCS.acme.com/guide/install#steps",
      "https://docs.acme.com/guide/install?utm_source=nav",
    ]) {
      expect(crawlKey(spelling)).toBe(key);
    }
  });
});
