/**
 * The first step of every crawl puts its starting points in the frontier: the site's sitemaps,
 * the `Sitemap:` lines of each start host's robots.txt (unless the site turned them off), the
 * start URLs, and every page earlier crawls found (so a recrawl revisits them with conditional
 * requests and notices the ones that are gone). A start URL outside the include patterns is still
 * fetched for its links, but not indexed.
 */
import { crawlKey } from "../../../search/crawl/crawl-scope";
import { type CrawlContext, logEvent, skip } from "./crawl-context";
import type { FrontierItem } from "./crawl-store";

function originsOf(urls: readonly string[]): string[] {
  return [...new Set(urls.filter((url) => URL.canParse(url)).map((url) => new URL(url).origin))];
}

export async function seedCrawl(context: CrawlContext): Promise<void> {
  const { crawl, store, scope, fetchers } = context;
  const spec = crawl.spec;
  const items: FrontierItem[] = spec.sitemap.map((url) => ({ key: crawlKey(url), url, kind: "sitemap", depth: 0, source: "start", discoverOnly: false }));
  if (spec.robotsSitemaps) {
    for (const origin of originsOf([...spec.startUrls, ...spec.sitemap])) {
      const rules = await fetchers.robots.rules(origin);
      for (const url of rules.sitemaps ?? []) {
        if (scope.hosts.has(new URL(url).host.toLowerCase()))
          items.push({ key: crawlKey(url), url, kind: "sitemap", depth: 0, source: "robots", discoverOnly: false });
      }
    }
  }
  for (const url of spec.startUrls) {
    const verdict = scope.check(url);
    if (!verdict.ok && verdict.reason !== "not-included") {
      skip(context, url, verdict.reason, "start URL");
      continue;
    }
    items.push({ key: crawlKey(url), url, kind: "page", depth: 0, source: "start", discoverOnly: !verdict.ok });
  }
  for (const known of store.knownPages()) {
    if (scope.check(known.url).ok) items.push({ key: known.key, url: known.url, kind: "page", depth: known.depth, source: "known", discoverOnly: false });
  }
  const added = store.enqueue(crawl.id, items);
  logEvent(
    context,
    "seeded",
    null,
    null,
    `${added.filter((item) => item.kind === "sitemap").length} sitemaps, ${added.filter((item) => item.source === "start" && item.kind === "page").length} start URLs, ${added.filter((item) => item.source === "known").length} pages from earlier crawls`,
  );
}
