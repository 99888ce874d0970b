// Links a crawler may follow, and a page's own robots directives.
import { describe, expect, it } from "vitest";
import { discoverLinks } from "../../../../search/crawl/page-links";

describe("discoverLinks", () => {
  it("resolves hrefs against <base>, drops fragments, duplicates, nofollow links and non-web schemes", () => {
    const html = `<html><head><base href="https://a.example/docs/"><link rel="canonical" href="/docs/page"></head><body>
      <a href="intro">Intro</a> <a href="intro#part">again</a> <a href="/top">Top</a> <a href="https://b.example/x">B</a>
      <a href="mailto:x@a.example">mail</a> <a href="javascript:void(0)">js</a> <a href="#here">here</a>
      <a href="/login" rel="nofollow">login</a> <map><area href="/area"></map>
      <!-- <a href="/commented">no</a> --><script>document.write('<a href="/scripted">no</a>')</script></body></html>`;
    expect(discoverLinks(html, "https://a.example/docs/page")).toEqual({
      links: ["https://a.example/docs/intro", "https://a.example/top", "https://b.example/x", "https://a.example/area"],
      noindex: false,
      nofollow: false,
      canonical: "https://a.example/docs/page",
    });
  });

  it("honours meta robots for everyone or for our token, and ignores other bots' rules", () => {
    const page = (meta: string) => `<html><head>${meta}</head><body><a href="/x">x</a></body></html>`;
    expect(discoverLinks(page('<meta name="robots" content="noindex, follow">'), "https://a.example/")).toMatchObject({
      noindex: true,
      nofollow: false,
      links: ["https://a.example/x"],
    });
    expect(discoverLinks(page('<meta name="MegrezEdgeBot" content="none">'), "https://a.example/")).toMatchObject({ noindex: true, nofollow: true, links: [] });
    expect(discoverLinks(page('<meta name="googlebot" content="noindex">'), "https://a.example/")).toMatchObject({ noindex: false });
  });
});
