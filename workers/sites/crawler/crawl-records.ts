/**
 * The crawler's records and their stored shape: crawl, frontier entry, log entry and known page
 * types, the Durable Object's SQLite schema (crawl-store.ts says what each table is for), and the
 * parsing of rows back into records (zod: a row that fails is a bug, not input).
 */
import { z } from "zod";
import { safeParseJSON } from "../../../agent/json";
import { type SiteSpec, siteSpecSchema } from "../site-spec";

export type CrawlStatus = "queued" | "running" | "done" | "partial" | "stopped" | "cancelled" | "failed";
export type CrawlTrigger = "create" | "manual" | "schedule";
export type FrontierKind = "sitemap" | "page";
export type FrontierState = "queued" | "claimed" | "done" | "skipped";

export interface CrawlCounters {
  /** Page URLs in the frontier (every source). */
  pagesSeen: number;
  /** Page requests made (any answer, 304 included). */
  pagesRequested: number;
  /** Pages fetched with a body (200). */
  pagesFetched: number;
  notModified: number;
  indexed: number;
  removed: number;
  skipped: number;
  sitemaps: number;
  /** Body bytes read, every request together. */
  bytes: number;
}

export interface Crawl {
  id: string;
  siteId: string;
  trigger: CrawlTrigger;
  slot: number | null;
  spec: SiteSpec;
  origin: string;
  status: CrawlStatus;
  reason: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  seeded: boolean;
  failures: number;
  counters: CrawlCounters;
}

export interface FrontierItem {
  key: string;
  url: string;
  kind: FrontierKind;
  depth: number;
  source: "start" | "sitemap" | "link" | "known" | "robots" | "redirect";
  /** A start URL outside the include patterns: fetched for its links, not indexed. */
  discoverOnly: boolean;
}

export interface LogEntry {
  seq: number;
  at: number;
  url: string | null;
  event: string;
  reason: string | null;
  detail: string | null;
}

export interface KnownPage {
  key: string;
  url: string;
  depth: number;
  etag: string | null;
  lastModified: string | null;
  /** The URL the page is indexed under (its final URL after redirects), null when not indexed. */
  indexedUrl: string | null;
}

/** Log entries kept per crawl; past it only the counters and skip reasons keep counting. */
export const MAX_LOG_ENTRIES = 5_000;
/** Crawls kept (with their frontier and log); older ones are dropped when a new crawl starts. */
export const CRAWLS_KEPT = 20;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS crawls (
  id TEXT PRIMARY KEY, site_id TEXT NOT NULL, trigger TEXT NOT NULL, slot INTEGER, spec TEXT NOT NULL, origin TEXT NOT NULL,
  status TEXT NOT NULL, reason TEXT, created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,
  seeded INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0, log_seq INTEGER NOT NULL DEFAULT 0, counters TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS crawls_by_slot ON crawls(slot) WHERE slot IS NOT NULL;
CREATE TABLE IF NOT EXISTS frontier (
  crawl_id TEXT NOT NULL, key TEXT NOT NULL, url TEXT NOT NULL, kind TEXT NOT NULL, depth INTEGER NOT NULL, source TEXT NOT NULL,
  discover_only INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL, claim TEXT, reason TEXT, indexed_url TEXT,
  PRIMARY KEY (crawl_id, key)
);
CREATE INDEX IF NOT EXISTS frontier_next ON frontier(crawl_id, state, kind, depth);
CREATE TABLE IF NOT EXISTS robots (crawl_id TEXT NOT NULL, origin TEXT NOT NULL, state TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (crawl_id, origin));
CREATE TABLE IF NOT EXISTS known_pages (key TEXT PRIMARY KEY, url TEXT NOT NULL, depth INTEGER NOT NULL, etag TEXT, last_modified TEXT, indexed_url TEXT, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hosts (host TEXT PRIMARY KEY, next_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS crawl_log (crawl_id TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, url TEXT, event TEXT NOT NULL, reason TEXT, detail TEXT, PRIMARY KEY (crawl_id, seq));
CREATE TABLE IF NOT EXISTS skip_counts (crawl_id TEXT NOT NULL, reason TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (crawl_id, reason));
`;

export const EMPTY_COUNTERS: CrawlCounters = {
  pagesSeen: 0,
  pagesRequested: 0,
  pagesFetched: 0,
  notModified: 0,
  indexed: 0,
  removed: 0,
  skipped: 0,
  sitemaps: 0,
  bytes: 0,
};

const crawlRow = z.object({
  id: z.string(),
  site_id: z.string(),
  trigger: z.enum(["create", "manual", "schedule"]),
  slot: z.number().nullable(),
  spec: z.string(),
  origin: z.string(),
  status: z.enum(["queued", "running", "done", "partial", "stopped", "cancelled", "failed"]),
  reason: z.string().nullable(),
  created_at: z.number(),
  started_at: z.number().nullable(),
  finished_at: z.number().nullable(),
  seeded: z.number(),
  failures: z.number(),
  counters: z.string(),
});

const countersSchema = z.object({
  pagesSeen: z.number(),
  pagesRequested: z.number(),
  pagesFetched: z.number(),
  notModified: z.number(),
  indexed: z.number(),
  removed: z.number(),
  skipped: z.number(),
  sitemaps: z.number(),
  bytes: z.number(),
});

const frontierRow = z.object({
  key: z.string(),
  url: z.string(),
  kind: z.enum(["sitemap", "page"]),
  depth: z.number(),
  source: z.enum(["start", "sitemap", "link", "known", "robots", "redirect"]),
  discover_only: z.number(),
});

function parseJson(text: string, what: string): unknown {
  const parsed = safeParseJSON(text);
  if (!parsed.ok) throw new Error(`stored ${what} is not JSON: ${parsed.error}`);
  return parsed.value;
}

export function toCrawl(raw: Record<string, SqlStorageValue>): Crawl {
  const row = crawlRow.parse(raw);
  return {
    id: row.id,
    siteId: row.site_id,
    trigger: row.trigger,
    slot: row.slot,
    spec: siteSpecSchema.parse(parseJson(row.spec, "crawl spec")),
    origin: row.origin,
    status: row.status,
    reason: row.reason,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    seeded: row.seeded === 1,
    failures: row.failures,
    counters: countersSchema.parse(parseJson(row.counters, "crawl counters")),
  };
}

export function toItem(raw: Record<string, SqlStorageValue>): FrontierItem {
  const row = frontierRow.parse(raw);
  return { key: row.key, url: row.url, kind: row.kind, depth: row.depth, source: row.source, discoverOnly: row.discover_only === 1 };
}

export function toKnown(row: Record<string, SqlStorageValue>): KnownPage {
  return {
    key: String(row.key),
    url: String(row.url),
    depth: Number(row.depth),
    etag: row.etag === null ? null : String(row.etag),
    lastModified: row.last_modified === null ? null : String(row.last_modified),
    indexedUrl: row.indexed_url === null ? null : String(row.indexed_url),
  };
}
