// robots.txt matching per RFC 9309: group selection, longest match, allow on ties, wildcards.
import { describe, expect, it } from "vitest";
import { isAllowed, parseRobots } from "../../../search/fetch/robots";

describe("parseRobots / isAllowed", () => {
  const text = `# comment
User-agent: *
Disallow: /

User-agent: megrezedgebot
Disallow: /private
Allow: /private/public
Disallow: /*.pdf$
Disallow: /search?q=
Allow: /tie
Disallow: /tie
`;
  const rules = parseRobots(text, "MegrezEdgeBot");

  it("uses our group, not the catch-all", () => {
    expect(isAllowed(rules, "/news/story")).toBe(true);
    expect(isAllowed(parseRobots(text, "SomeOtherBot"), "/news/story")).toBe(false);
  });

  it("picks the longest match and lets allow win ties", () => {
    expect(isAllowed(rules, "/private/x")).toBe(false);
    expect(isAllowed(rules, "/private/public/x")).toBe(true);
    expect(isAllowed(rules, "/tie")).toBe(true);
  });

  it("supports * and $", () => {
    expect(isAllowed(rules, "/files/report.pdf")).toBe(false);
    expect(isAllowed(rules, "/files/report.pdf?download=1")).toBe(true);
    expect(isAllowed(rules, "/search?q=cats")).toBe(false);
  });

  it("treats an empty file as allow-all and always allows /robots.txt", () => {
    expect(isAllowed(parseRobots("", "MegrezEdgeBot"), "/anything")).toBe(true);
    expect(isAllowed({ rules: [], disallowAll: true }, "/robots.txt")).toBe(true);
    expect(isAllowed({ rules: [], disallowAll: true }, "/x")).toBe(false);
  });
});

describe("Crawl-delay and Sitemap lines", () => {
  it("takes the chosen group's Crawl-delay (clamped) and every absolute Sitemap line", () => {
    const text = `User-agent: *
Crawl-delay: 30
Disallow: /tmp

User-agent: MegrezEdgeBot
Crawl-delay: 2.5
Crawl-delay: 9
Disallow: /private

Sitemap: https://a.example/sitemap_index.xml
Sitemap: /relative.xml
sitemap: https://a.example/news.xml.gz
`;
    expect(parseRobots(text, "MegrezEdgeBot")).toMatchObject({
      crawlDelaySeconds: 2.5,
      sitemaps: ["https://a.example/sitemap_index.xml", "https://a.example/news.xml.gz"],
    });
    expect(parseRobots(text, "OtherBot").crawlDelaySeconds).toBe(30);
    expect(parseRobots("User-agent: *\nCrawl-delay: 86400\n", "MegrezEdgeBot").crawlDelaySeconds).toBe(600);
    expect(parseRobots("User-agent: *\nCrawl-delay: soon\n", "MegrezEdgeBot").crawlDelaySeconds).toBeUndefined();
  });
});
