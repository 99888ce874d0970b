/**
 * One URL of a crawl, fetched and dealt with:
 * - a sitemap is read (gzip or not); an index queues its sitemaps, a urlset its pages in scope;
 * - a page is asked for conditionally when an earlier crawl saw it (ETag / Last-Modified): a 304
 *   keeps its index entry untouched; a fresh body is extracted (search/extract), split into passages
 *   (search/passages) and replaces the page's rows in the index, and its links in scope are queued;
 * - a page that is gone (404/410), disallowed by robots.txt or marked `noindex` leaves the index;
 *   a passing failure (timeout, 5xx) keeps what the index had.
 * A redirect is followed by the fetcher (every hop guarded); the page is indexed under its final
 * URL, and that URL is recorded as reached so the crawl never fetches it again.
 */
import { crawlKey } from "../../../search/crawl/crawl-scope";
import { discoverLinks } from "../../../search/crawl/page-links";
import { parseSitemap } from "../../../search/crawl/sitemap";
import { extractPage } from "../../../search/extract";
import { passageRows } from "../../../search/site-index/passage-rows";
import type { ExtractedPage, FetchOutcome } from "../../../search/types";
import { type CrawlContext, logEvent, skip } from "./crawl-context";
import type { FrontierItem, KnownPage } from "./crawl-store";

/** Compressed bytes of one sitemap file read at most (the protocol caps it at 50 MiB uncompressed). */
const SITEMAP_MAX_FETCH_BYTES = 10 * 1024 * 1024;
/** Sitemap index files nest at most this deep. */
const MAX_SITEMAP_DEPTH = 3;

type Fetched = Extract<FetchOutcome, { ok: true }>;
type Failed = Extract<FetchOutcome, { ok: false }>;

/** Most frontier entries a crawl keeps: ten per page of its page budget. */
function frontierCap(context: CrawlContext): number {
  return Math.max(1_000, context.crawl.spec.budgets.maxPages * 10);
}

/** Queues URLs in scope; out-of-scope ones are only counted, by reason. Returns how many were new. */
function enqueueInScope(context: CrawlContext, urls: readonly string[], make: (url: string) => FrontierItem): number {
  const { store, crawl, scope } = context;
  const room = frontierCap(context) - store.frontierSize(crawl.id);
  const wanted: FrontierItem[] = [];
  const skipped = new Map<string, number>();
  for (const url of urls) {
    const verdict = scope.check(url);
    if (!verdict.ok) skipped.set(verdict.reason, (skipped.get(verdict.reason) ?? 0) + 1);
    else wanted.push(make(url));
  }
  const fresh = wanted.filter((item) => store.state(crawl.id, item.key) === null);
  if (fresh.length > room) skipped.set("frontier-full", fresh.length - Math.max(0, room));
  for (const [reason, n] of skipped) store.countSkip(crawl.id, reason, n);
  return store.enqueue(crawl.id, fresh.slice(0, Math.max(0, room))).length;
}

function bytesOf(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

async function visitSitemap(context: CrawlContext, item: FrontierItem): Promise<void> {
  const { store, crawl, fetchers, scope } = context;
  const outcome = await fetchers.fetchBytes(item.url, undefined, { maxBytes: SITEMAP_MAX_FETCH_BYTES });
  if (!outcome.ok) {
    store.complete(crawl.id, item.key, "skipped", outcome.reason);
    skip(context, item.url, failureReason(outcome), outcome.detail);
    return;
  }
  store.bump(crawl.id, { bytes: outcome.bytes.byteLength, sitemaps: 1 });
  const parsed = await parseSitemap(outcome.bytes);
  if (parsed.kind === "invalid") {
    store.complete(crawl.id, item.key, "skipped", "invalid-sitemap");
    skip(context, item.url, "invalid-sitemap", parsed.detail);
    return;
  }
  let added = 0;
  if (parsed.kind === "index") {
    const children = parsed.entries.map((entry) => entry.url).filter((url) => scope.hosts.has(new URL(url).host.toLowerCase()));
    if (item.depth + 1 <= MAX_SITEMAP_DEPTH) {
      const fresh = children
        .map((url): FrontierItem => ({ key: crawlKey(url), url, kind: "sitemap", depth: item.depth + 1, source: "sitemap", discoverOnly: false }))
        .filter((child) => store.state(crawl.id, child.key) === null);
      added = store.enqueue(crawl.id, fresh).length;
    }
  } else {
    added = enqueueInScope(
      context,
      parsed.entries.map((entry) => entry.url),
      (url) => ({ key: crawlKey(url), url, kind: "page", depth: 0, source: "sitemap", discoverOnly: false }),
    );
  }
  store.complete(crawl.id, item.key, "done", null);
  logEvent(
    context,
    "sitemap",
    item.url,
    null,
    `${parsed.kind === "index" ? "index of" : "lists"} ${parsed.entries.length} URLs, ${added} new${parsed.truncated ? " (file cut at the protocol's limits)" : ""}`,
  );
}

/** The reason a failed fetch is logged under: HTTP errors carry their status. */
function failureReason(outcome: Failed): string {
  if (outcome.reason === "http-error" && outcome.status !== undefined) return `http-${outcome.status}`;
  if (outcome.reason === "unsupported-type" || outcome.reason === "pdf") return "not-html";
  return outcome.reason;
}

async function removeFromIndex(context: CrawlContext, url: string | null): Promise<void> {
  if (url === null) return;
  if (await context.index.removePage(context.crawl.siteId, url)) {
    context.store.bump(context.crawl.id, { removed: 1 });
    logEvent(context, "removed", url);
  }
}

async function visitFailed(context: CrawlContext, item: FrontierItem, outcome: Failed, known: KnownPage | null): Promise<void> {
  const { store, crawl } = context;
  const reason = failureReason(outcome);
  const gone = outcome.status === 404 || outcome.status === 410 || outcome.reason === "robots-disallowed";
  if (gone) {
    await removeFromIndex(context, known?.indexedUrl ?? item.url);
    store.forgetKnown(item.key);
  }
  // A passing failure keeps the page's earlier index entry (and the clean-up keeps it too).
  store.complete(crawl.id, item.key, "skipped", reason, gone ? null : (known?.indexedUrl ?? null));
  skip(context, item.url, reason, outcome.detail);
}

function pageOf(outcome: Fetched): ExtractedPage {
  if (outcome.contentType === "text/html") return extractPage(outcome.body, outcome.finalUrl);
  const firstLine = outcome.body.split("\n").find((line) => line.trim() !== "") ?? "";
  return { url: outcome.finalUrl, title: firstLine.trim().slice(0, 120) || outcome.finalUrl, text: outcome.body };
}

async function visitFetched(context: CrawlContext, item: FrontierItem, outcome: Fetched): Promise<void> {
  const { store, crawl, scope } = context;
  store.bump(crawl.id, { pagesFetched: 1, bytes: bytesOf(outcome.body) });
  const finalUrl = outcome.finalUrl;
  const finalKey = crawlKey(finalUrl);
  const redirected = finalKey !== item.key;
  if (redirected) {
    const verdict = scope.check(finalUrl);
    if (!verdict.ok) {
      store.complete(crawl.id, item.key, "skipped", "redirected-out-of-scope");
      skip(context, item.url, "redirected-out-of-scope", `to ${finalUrl}`);
      return;
    }
    if (store.state(crawl.id, finalKey) !== null && store.state(crawl.id, finalKey) !== "queued") {
      store.complete(crawl.id, item.key, "skipped", "redirect-to-visited");
      skip(context, item.url, "redirect-to-visited", `to ${finalUrl}`);
      return;
    }
  }
  const html = outcome.contentType === "text/html";
  const links = html ? discoverLinks(outcome.body, finalUrl) : { links: [], noindex: false, nofollow: false };
  let newLinks = 0;
  if (item.depth < crawl.spec.budgets.maxDepth) {
    newLinks = enqueueInScope(context, links.links, (url) => ({
      key: crawlKey(url),
      url,
      kind: "page",
      depth: item.depth + 1,
      source: "link",
      discoverOnly: false,
    }));
  }
  let indexedUrl: string | null = null;
  let passages = 0;
  let note: string | null = null;
  if (links.noindex) {
    await removeFromIndex(context, finalUrl);
    note = "noindex";
  } else if (item.discoverOnly) {
    note = "not-included";
  } else {
    const page = pageOf(outcome);
    const rows = passageRows(page);
    if (rows.length === 0) {
      await removeFromIndex(context, finalUrl);
      note = "empty-page";
    } else {
      await context.index.putPage(
        crawl.siteId,
        { url: finalUrl, title: page.title || finalUrl, ...(page.publishedAt ? { updated: page.publishedAt } : {}), rows },
        context.now(),
      );
      store.bump(crawl.id, { indexed: 1 });
      indexedUrl = finalUrl;
      passages = rows.length;
    }
  }
  store.saveKnown(
    { key: item.key, url: item.url, depth: item.depth, etag: outcome.etag ?? null, lastModified: outcome.lastModified ?? null, indexedUrl },
    context.now(),
  );
  if (redirected) store.markReached(crawl.id, { ...item, key: finalKey, url: finalUrl, source: "redirect" }, indexedUrl);
  if (note !== null) {
    store.complete(crawl.id, item.key, "skipped", note);
    skip(context, item.url, note, `HTTP ${outcome.status}, fetched for its links`);
    return;
  }
  store.complete(crawl.id, item.key, "done", null, indexedUrl);
  const via = redirected ? `, redirected to ${finalUrl}` : "";
  const charset = outcome.charset && outcome.charset !== "utf-8" ? `, ${outcome.charset}` : "";
  logEvent(
    context,
    "indexed",
    item.url,
    null,
    `HTTP ${outcome.status}${via}${charset}, ${passages} passages, ${newLinks} new links${outcome.truncated ? ", body cut at the byte cap" : ""}`,
  );
}

async function visitPage(context: CrawlContext, item: FrontierItem): Promise<void> {
  const { store, crawl, fetchers } = context;
  const known = store.known(item.key);
  const conditional =
    known && (known.etag || known.lastModified)
      ? { ...(known.etag ? { etag: known.etag } : {}), ...(known.lastModified ? { lastModified: known.lastModified } : {}) }
      : undefined;
  const outcome = await fetchers.fetchPage(item.url, undefined, conditional ? { conditional } : {});
  const requested = outcome.ok || !["robots-disallowed", "blocked-address", "bad-scheme"].includes(outcome.reason);
  if (requested) store.bump(crawl.id, { pagesRequested: 1 });
  if (outcome.ok) return visitFetched(context, item, outcome);
  if (outcome.reason === "not-modified") {
    store.bump(crawl.id, { notModified: 1 });
    store.complete(crawl.id, item.key, "done", "not-modified", known?.indexedUrl ?? null);
    logEvent(context, "not-modified", item.url, null, "HTTP 304: unchanged since the last crawl");
    return;
  }
  return visitFailed(context, item, outcome, known);
}

export function visit(context: CrawlContext, item: FrontierItem): Promise<void> {
  return item.kind === "sitemap" ? visitSitemap(context, item) : visitPage(context, item);
}
