// Sitemap parsing: urlset and index files, gzip by magic bytes, entities and CDATA, text lists, limits.
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parseSitemap, parseSitemapXml } from "../../../../search/crawl/sitemap";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("sitemaps", () => {
  it("reads a urlset with lastmod, entities, CDATA and namespace prefixes, dropping relative locs", async () => {
    const xml = `<?xml version="1.0"?><sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sm:url><sm:loc>https://a.example/p?x=1&amp;y=2</sm:loc><sm:lastmod>2026-01-02</sm:lastmod></sm:url>
      <sm:url><sm:loc><![CDATA[https://a.example/cdata]]></sm:loc></sm:url>
      <sm:url><sm:loc>/relative</sm:loc></sm:url>
      <sm:url><sm:loc>ftp://a.example/file</sm:loc></sm:url>
    </sm:urlset>`;
    expect(await parseSitemap(bytes(xml))).toEqual({
      kind: "urlset",
      entries: [{ url: "https://a.example/p?x=1&y=2", lastmod: "2026-01-02" }, { url: "https://a.example/cdata" }],
      truncated: false,
    });
  });

  it("reads a gzip-compressed sitemap index, whatever the content type said", async () => {
    const xml = `<sitemapindex><sitemap><loc>https://a.example/s1.xml.gz</loc></sitemap><sitemap><loc>https://a.example/s2.xml</loc></sitemap></sitemapindex>`;
    const parsed = await parseSitemap(new Uint8Array(gzipSync(xml)));
    expect(parsed).toMatchObject({ kind: "index", entries: [{ url: "https://a.example/s1.xml.gz" }, { url: "https://a.example/s2.xml" }] });
  });

  it("reads the text form, and reports what is neither", async () => {
    expect(await parseSitemap(bytes("https://a.example/one\n\nhttps://a.example/two\nnot a url\n"))).toMatchObject({
      kind: "urlset",
      entries: [{ url: "https://a.example/one" }, { url: "https://a.example/two" }],
    });
    expect((await parseSitemap(bytes("<html><body>no</body></html>"))).kind).toBe("invalid");
    expect((await parseSitemap(new Uint8Array([0x1f, 0x8b, 1, 2, 3]))).kind).toBe("invalid");
  });

  it("stops at the protocol's 50 000 URLs", () => {
    const xml = `<urlset>${"<url><loc>https://a.example/x</loc></url>".repeat(50_001)}</urlset>`;
    const parsed = parseSitemapXml(xml);
    expect(parsed.kind === "urlset" && parsed.entries.length).toBe(50_000);
    expect(parsed.kind === "urlset" && parsed.truncated).toBe(true);
  });
});
