// The search core inside workerd: TextDecoder knows the CJK legacy encodings there too (GBK, Big5,
// Shift_JIS), cheerio/slim extraction bundles and runs, and the fetcher's redirect handling works
// with the runtime's own Response objects (via an injected fetch: no network from tests).
import { describe, expect, it } from "vitest";
import { decodeHtmlBytes } from "../../search/charset";
import { extractPage } from "../../search/extract";
import { createPageFetcher } from "../../search/fetch";
import { selectPassages } from "../../search/passages";

const gbkPage = new Uint8Array([
  ...new TextEncoder().encode('<html><head><meta charset="gbk"><title>t</title></head><body><p>'),
  0xd6,
  0xd0,
  0xce,
  0xc4,
  0xcd,
  0xf8,
  0xd2,
  0xb3,
  ...new TextEncoder().encode("</p></body></html>"),
]);

describe("search core in workerd", () => {
  it("decodes GBK, GB2312, Big5 and Shift_JIS with TextDecoder", () => {
    expect(new TextDecoder("gbk").decode(new Uint8Array([0xd6, 0xd0, 0xce, 0xc4]))).toBe("中文");
    expect(new TextDecoder("gb2312").encoding).toBe("gbk");
    expect(new TextDecoder("big5").decode(new Uint8Array([0xa4, 0xa4, 0xa4, 0xe5]))).toBe("中文");
    expect(new TextDecoder("shift_jis").decode(new Uint8Array([0x93, 0xfa, 0x96, 0x7b]))).toBe("日本");
    expect(decodeHtmlBytes(gbkPage, "text/html")).toMatchObject({ charset: "gbk", source: "meta" });
    expect(decodeHtmlBytes(gbkPage, "text/html").text).toContain("中文网页");
  });

  it("extracts and selects passages", async () => {
    const html = `<html lang="zh-CN"><head><title>新闻</title></head><body><article><p>${"新的地铁线路将于明年五月开通，全长三十公里。".repeat(5)}</p></article></body></html>`;
    const page = extractPage(html, "https://example.cn/a");
    expect(page.language).toBe("zh-CN");
    expect(page.text).toContain("地铁线路");
    const passages = await selectPassages(page, "地铁什么时候开通", { budgetTokens: 200 });
    expect(passages.length).toBeGreaterThan(0);
  });

  it("follows redirects by hand and refuses private targets", async () => {
    const fakeFetch: typeof fetch = async (input) => {
      const url = String(input);
      if (url.endsWith("/robots.txt")) return new Response("User-agent: *\nAllow: /\n", { status: 200 });
      if (url === "https://news.example.com/a") return new Response(null, { status: 302, headers: { location: "https://news.example.com/b" } });
      if (url === "https://news.example.com/b") return new Response(gbkPage, { status: 200, headers: { "content-type": "text/html" } });
      if (url === "https://news.example.com/evil") return new Response(null, { status: 302, headers: { location: "http://169.254.169.254/" } });
      return new Response("not found", { status: 404 });
    };
    const fetchPage = createPageFetcher({ fetch: fakeFetch });
    expect(await fetchPage("https://news.example.com/a")).toMatchObject({ ok: true, finalUrl: "https://news.example.com/b", charset: "gbk" });
    expect(await fetchPage("https://news.example.com/evil")).toMatchObject({ ok: false, reason: "blocked-address" });
  });
});
