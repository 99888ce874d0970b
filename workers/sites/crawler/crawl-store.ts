/**
 * The crawler's own memory, in its Durable Object's SQLite (one object per site):
 * - `crawls`: each crawl with the spec it started with, its status and counters;
 * - `frontier`: every URL a crawl has seen, keyed by (crawl, normalized URL): the primary key is
 *   what makes "never fetch the same URL twice in one crawl" hold, and a URL is `claimed` (written
 *   before the request leaves) so a restart finds exactly what was in flight;
 * - `robots`: the robots.txt of each origin, fetched once per crawl and kept with it;
 * - `known_pages`: validators (ETag / Last-Modified) and depth of every page fetched before, across
 *   crawls, so a recrawl asks "changed since?" and revisits pages found earlier;
 * - `hosts`: when the next request to a host may start (Crawl-delay), surviving restarts;
 * - `crawl_log` and `skip_counts`: the crawl log (capped) and skip reasons counted in full.
 * Writes go through `ctx.storage.sql`, whose output gate holds outgoing requests until the write
 * is durable: a claim is on disk before its request is sent.
 */
import {
  type Crawl,
  type CrawlCounters,
  type CrawlStatus,
  type CrawlTrigger,
  CRAWLS_KEPT,
  EMPTY_COUNTERS,
  type FrontierItem,
  type FrontierState,
  type KnownPage,
  type LogEntry,
  MAX_LOG_ENTRIES,
  SCHEMA,
  toCrawl,
  toItem,
  toKnown,
} from "./crawl-records";
import type { SiteSpec } from "../site-spec";

export type { Crawl, CrawlCounters, CrawlStatus, CrawlTrigger, FrontierItem, FrontierKind, FrontierState, KnownPage, LogEntry } from "./crawl-records";

export class CrawlStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  /** Records a crawl; a scheduled slot already recorded returns the existing crawl instead. */
  createCrawl(input: { id: string; siteId: string; trigger: CrawlTrigger; slot: number | null; spec: SiteSpec; origin: string; now: number }): {
    crawl: Crawl;
    created: boolean;
  } {
    if (input.slot !== null) {
      const existing = this.sql.exec("SELECT * FROM crawls WHERE slot = ?", input.slot).toArray()[0];
      if (existing) return { crawl: toCrawl(existing), created: false };
    }
    this.sql.exec(
      "INSERT INTO crawls (id, site_id, trigger, slot, spec, origin, status, created_at, counters) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
      input.id,
      input.siteId,
      input.trigger,
      input.slot,
      JSON.stringify(input.spec),
      input.origin,
      input.now,
      JSON.stringify(EMPTY_COUNTERS),
    );
    this.prune();
    return { crawl: this.mustGet(input.id), created: true };
  }

  get(id: string): Crawl | null {
    const row = this.sql.exec("SELECT * FROM crawls WHERE id = ?", id).toArray()[0];
    return row ? toCrawl(row) : null;
  }

  /** The crawl under way (or waiting), oldest first; at most one runs at a time. */
  active(): Crawl | null {
    const row = this.sql.exec("SELECT * FROM crawls WHERE status IN ('queued', 'running') ORDER BY created_at, id LIMIT 1").toArray()[0];
    return row ? toCrawl(row) : null;
  }

  list(limit: number): Crawl[] {
    return this.sql.exec("SELECT * FROM crawls ORDER BY created_at DESC, id DESC LIMIT ?", limit).toArray().map(toCrawl);
  }

  markRunning(id: string, now: number): void {
    this.sql.exec("UPDATE crawls SET status = 'running', started_at = COALESCE(started_at, ?) WHERE id = ? AND status = 'queued'", now, id);
  }

  markSeeded(id: string): void {
    this.sql.exec("UPDATE crawls SET seeded = 1 WHERE id = ?", id);
  }

  /** Ends a crawl (a no-op when it already ended). */
  finish(id: string, status: Exclude<CrawlStatus, "queued" | "running">, reason: string | null, now: number): boolean {
    const changed = this.sql.exec(
      "UPDATE crawls SET status = ?, reason = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'running')",
      status,
      reason,
      now,
      id,
    ).rowsWritten;
    if (changed > 0) this.sql.exec("UPDATE frontier SET state = 'skipped', reason = 'interrupted', claim = NULL WHERE crawl_id = ? AND state = 'claimed'", id);
    return changed > 0;
  }

  /** Counts a failed step; returns the count so far. */
  recordFailure(id: string): number {
    this.sql.exec("UPDATE crawls SET failures = failures + 1 WHERE id = ?", id);
    return this.get(id)?.failures ?? 0;
  }

  clearFailures(id: string): void {
    this.sql.exec("UPDATE crawls SET failures = 0 WHERE id = ? AND failures > 0", id);
  }

  bump(id: string, delta: Partial<CrawlCounters>): void {
    const crawl = this.get(id);
    if (!crawl) return;
    const next = { ...crawl.counters };
    for (const [name, value] of Object.entries(delta) as Array<[keyof CrawlCounters, number]>) next[name] += value;
    this.sql.exec("UPDATE crawls SET counters = ? WHERE id = ?", JSON.stringify(next), id);
  }

  /** Adds URLs not yet in this crawl's frontier; returns the ones that were new. */
  enqueue(crawlId: string, items: FrontierItem[]): FrontierItem[] {
    const added: FrontierItem[] = [];
    for (const item of items) {
      const written = this.sql.exec(
        "INSERT INTO frontier (crawl_id, key, url, kind, depth, source, discover_only, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued') ON CONFLICT DO NOTHING",
        crawlId,
        item.key,
        item.url,
        item.kind,
        item.depth,
        item.source,
        item.discoverOnly ? 1 : 0,
      ).rowsWritten;
      if (written > 0) added.push(item);
    }
    const pages = added.filter((item) => item.kind === "page").length;
    if (pages > 0) this.bump(crawlId, { pagesSeen: pages });
    return added;
  }

  /** Keys this crawl has in its frontier (any state), for the clean-up of known pages. */
  frontierKeys(crawlId: string): Set<string> {
    return new Set(
      this.sql
        .exec("SELECT key FROM frontier WHERE crawl_id = ?", crawlId)
        .toArray()
        .map((row) => String(row.key)),
    );
  }

  queuedCount(crawlId: string): number {
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM frontier WHERE crawl_id = ? AND state = 'queued'", crawlId).one().n);
  }

  frontierSize(crawlId: string): number {
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM frontier WHERE crawl_id = ?", crawlId).one().n);
  }

  /** Whether this crawl already has `key` (queued, in flight, or finished). */
  state(crawlId: string, key: string): FrontierState | null {
    const row = this.sql.exec("SELECT state FROM frontier WHERE crawl_id = ? AND key = ?", crawlId, key).toArray()[0];
    return row ? (String(row.state) as FrontierState) : null;
  }

  /** Next URL to visit: sitemaps first, then pages by depth, in discovery order (rowid). */
  next(crawlId: string): FrontierItem | null {
    for (const kind of ["sitemap", "page"] as const) {
      const row = this.sql
        .exec(
          "SELECT key, url, kind, depth, source, discover_only FROM frontier WHERE crawl_id = ? AND state = 'queued' AND kind = ? ORDER BY depth, rowid LIMIT 1",
          crawlId,
          kind,
        )
        .toArray()[0];
      if (row) return toItem(row);
    }
    return null;
  }

  claim(crawlId: string, key: string, claim: string): void {
    this.sql.exec("UPDATE frontier SET state = 'claimed', claim = ? WHERE crawl_id = ? AND key = ? AND state = 'queued'", claim, crawlId, key);
  }

  /** Claims left by an invocation that did not finish them (`claim` differs from the current one). */
  staleClaims(crawlId: string, currentClaim: string): FrontierItem[] {
    return this.sql
      .exec(
        "SELECT key, url, kind, depth, source, discover_only FROM frontier WHERE crawl_id = ? AND state = 'claimed' AND claim IS NOT ?",
        crawlId,
        currentClaim,
      )
      .toArray()
      .map(toItem);
  }

  /** Finishes a claimed URL; `indexedUrl` marks the page as present in the index after this crawl. */
  complete(crawlId: string, key: string, state: "done" | "skipped", reason: string | null, indexedUrl: string | null = null): void {
    this.sql.exec(
      "UPDATE frontier SET state = ?, reason = ?, indexed_url = ?, claim = NULL WHERE crawl_id = ? AND key = ?",
      state,
      reason,
      indexedUrl,
      crawlId,
      key,
    );
  }

  /** Records a URL this crawl has now reached another way (a redirect target), so it is not fetched again. */
  markReached(crawlId: string, item: FrontierItem, indexedUrl: string | null): void {
    this.sql.exec(
      "INSERT INTO frontier (crawl_id, key, url, kind, depth, source, discover_only, state, reason, indexed_url) VALUES (?, ?, ?, ?, ?, ?, 0, 'done', 'redirect-target', ?) ON CONFLICT(crawl_id, key) DO UPDATE SET state = 'done', reason = 'redirect-target', indexed_url = excluded.indexed_url",
      crawlId,
      item.key,
      item.url,
      item.kind,
      item.depth,
      item.source,
      indexedUrl,
    );
  }

  /** Page URLs this crawl left in the index (fetched and indexed, or unchanged). */
  indexedUrls(crawlId: string): Set<string> {
    const rows = this.sql.exec("SELECT indexed_url FROM frontier WHERE crawl_id = ? AND indexed_url IS NOT NULL", crawlId).toArray();
    return new Set(rows.map((row) => String(row.indexed_url)));
  }

  /** Counts a skip reason (always) and whether the URL should be logged. */
  countSkip(crawlId: string, reason: string, n = 1): void {
    this.sql.exec("INSERT INTO skip_counts (crawl_id, reason, n) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n", crawlId, reason, n);
    this.bump(crawlId, { skipped: n });
  }

  skipCounts(crawlId: string): Record<string, number> {
    const rows = this.sql.exec("SELECT reason, n FROM skip_counts WHERE crawl_id = ? ORDER BY n DESC, reason", crawlId).toArray();
    return Object.fromEntries(rows.map((row) => [String(row.reason), Number(row.n)]));
  }

  log(crawlId: string, entry: { at: number; url?: string | null; event: string; reason?: string | null; detail?: string | null }): void {
    const row = this.sql.exec("UPDATE crawls SET log_seq = log_seq + 1 WHERE id = ? RETURNING log_seq", crawlId).toArray()[0];
    const seq = Number(row?.log_seq ?? 0);
    if (seq === 0 || seq > MAX_LOG_ENTRIES) return;
    const event = seq === MAX_LOG_ENTRIES ? "log-truncated" : entry.event;
    this.sql.exec(
      "INSERT INTO crawl_log (crawl_id, seq, at, url, event, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
      crawlId,
      seq,
      entry.at,
      seq === MAX_LOG_ENTRIES ? null : (entry.url ?? null),
      event,
      seq === MAX_LOG_ENTRIES ? null : (entry.reason ?? null),
      seq === MAX_LOG_ENTRIES ? `only the first ${MAX_LOG_ENTRIES - 1} entries are kept; counters keep counting` : (entry.detail?.slice(0, 500) ?? null),
    );
  }

  logEntries(crawlId: string, after: number, limit: number): LogEntry[] {
    return this.sql
      .exec("SELECT seq, at, url, event, reason, detail FROM crawl_log WHERE crawl_id = ? AND seq > ? ORDER BY seq LIMIT ?", crawlId, after, limit)
      .toArray()
      .map((row) => ({
        seq: Number(row.seq),
        at: Number(row.at),
        url: row.url === null ? null : String(row.url),
        event: String(row.event),
        reason: row.reason === null ? null : String(row.reason),
        detail: row.detail === null ? null : String(row.detail),
      }));
  }

  robots(crawlId: string, origin: string): { state: string; body: string } | null {
    const row = this.sql.exec("SELECT state, body FROM robots WHERE crawl_id = ? AND origin = ?", crawlId, origin).toArray()[0];
    return row ? { state: String(row.state), body: String(row.body) } : null;
  }

  saveRobots(crawlId: string, origin: string, state: string, body: string): void {
    this.sql.exec("INSERT OR REPLACE INTO robots (crawl_id, origin, state, body) VALUES (?, ?, ?, ?)", crawlId, origin, state, body);
  }

  known(key: string): KnownPage | null {
    const row = this.sql.exec("SELECT key, url, depth, etag, last_modified, indexed_url FROM known_pages WHERE key = ?", key).toArray()[0];
    return row ? toKnown(row) : null;
  }

  knownPages(): KnownPage[] {
    return this.sql.exec("SELECT key, url, depth, etag, last_modified, indexed_url FROM known_pages ORDER BY depth, updated_at").toArray().map(toKnown);
  }

  saveKnown(page: KnownPage, now: number): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO known_pages (key, url, depth, etag, last_modified, indexed_url, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      page.key,
      page.url,
      page.depth,
      page.etag,
      page.lastModified,
      page.indexedUrl,
      now,
    );
  }

  forgetKnown(key: string): void {
    this.sql.exec("DELETE FROM known_pages WHERE key = ?", key);
  }

  hostNextAt(host: string): number {
    const row = this.sql.exec("SELECT next_at FROM hosts WHERE host = ?", host).toArray()[0];
    return row ? Number(row.next_at) : 0;
  }

  setHostNextAt(host: string, at: number): void {
    this.sql.exec("INSERT OR REPLACE INTO hosts (host, next_at) VALUES (?, ?)", host, at);
  }

  /** Keeps the newest CRAWLS_KEPT finished crawls with their frontier, robots, log and skip counts. */
  private prune(): void {
    const old = this.sql
      .exec("SELECT id FROM crawls WHERE status NOT IN ('queued', 'running') ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?", CRAWLS_KEPT)
      .toArray()
      .map((row) => String(row.id));
    for (const id of old) {
      for (const table of ["frontier", "robots", "crawl_log", "skip_counts"]) this.sql.exec(`DELETE FROM ${table} WHERE crawl_id = ?`, id);
      this.sql.exec("DELETE FROM crawls WHERE id = ?", id);
    }
  }

  private mustGet(id: string): Crawl {
    const crawl = this.get(id);
    if (!crawl) throw new Error(`crawl ${id} vanished during a write`);
    return crawl;
  }
}
