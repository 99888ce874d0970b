/**
 * The registry of sites in D1 (`sites` table): each site's owner (the API key that created it, by
 * key id, as jobs are owned), its spec, the origin it was created on, and its recrawl cursor. Every
 * read takes the owner, so one key never sees another key's site; `null` is for the worker's own
 * internal reads (cron, site keys configured by the operator). Names are unique in the deployment.
 */
import { z } from "zod";
import { safeParseJSON } from "../../agent/json";
import { latestSlotAtOrBefore, nextSlot } from "../jobs/schedule";
import { randomHex } from "../random-id";
import { ensureSchema } from "./index-schema";
import { SITE_ID, siteSpecSchema, type SiteSpec } from "./site-spec";

export interface StoredSite {
  id: string;
  name: string;
  owner: string;
  spec: SiteSpec;
  origin: string;
  createdAt: number;
  updatedAt: number;
  nextCrawlAt: number | null;
  lastSlot: number | null;
}

export interface DueSite {
  site: StoredSite;
  slot: number;
}

export type CreateSiteOutcome = { ok: true; site: StoredSite } | { ok: false; reason: "limit-reached" | "name-taken" };

const rowSchema = z.object({
  id: z.string(),
  name: z.string(),
  owner: z.string(),
  spec: z.string(),
  origin: z.string(),
  created_at: z.number(),
  updated_at: z.number(),
  next_crawl_at: z.number().nullable(),
  last_slot: z.number().nullable(),
});

function toSite(raw: unknown): StoredSite {
  const row = rowSchema.parse(raw);
  const json = safeParseJSON(row.spec);
  if (!json.ok) throw new Error(`stored spec of ${row.id} is not JSON: ${json.error}`);
  return {
    id: row.id,
    name: row.name,
    owner: row.owner,
    spec: siteSpecSchema.parse(json.value),
    origin: row.origin,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    nextCrawlAt: row.next_crawl_at,
    lastSlot: row.last_slot,
  };
}

function nextCrawl(spec: SiteSpec, after: number): number | null {
  return spec.schedule ? nextSlot(spec.schedule, after) : null;
}

export class SiteRegistry {
  constructor(private readonly db: D1Database) {}

  async create(owner: string, spec: SiteSpec, origin: string, now: number, maxPerOwner: number): Promise<CreateSiteOutcome> {
    await ensureSchema(this.db);
    const id = `site_${randomHex(6)}`;
    // One statement: the count check and the insert cannot interleave with another create.
    const result = await this.db
      .prepare(
        `INSERT INTO sites (id, name, owner, spec, origin, created_at, updated_at, next_crawl_at, last_slot)
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, NULL WHERE (SELECT COUNT(*) FROM sites WHERE owner = ?) < ?
         ON CONFLICT(name) DO NOTHING`,
      )
      .bind(id, spec.name, owner, JSON.stringify(spec), origin, now, now, nextCrawl(spec, now), owner, maxPerOwner)
      .run();
    if (result.meta.changes === 0) {
      const taken = await this.db.prepare("SELECT 1 AS taken FROM sites WHERE name = ?").bind(spec.name).first();
      return { ok: false, reason: taken ? "name-taken" : "limit-reached" };
    }
    return { ok: true, site: await this.mustGet(id) };
  }

  /** A site by id or name; `owner` null reads any site. */
  async get(owner: string | null, idOrName: string): Promise<StoredSite | null> {
    await ensureSchema(this.db);
    const column = SITE_ID.test(idOrName) ? "id" : "name";
    const row = await this.db.prepare(`SELECT * FROM sites WHERE ${column} = ?`).bind(idOrName).first();
    if (!row) return null;
    const site = toSite(row);
    return owner === null || site.owner === owner ? site : null;
  }

  async list(owner: string): Promise<StoredSite[]> {
    await ensureSchema(this.db);
    const { results } = await this.db.prepare("SELECT * FROM sites WHERE owner = ? ORDER BY created_at, id").bind(owner).all();
    return results.map(toSite);
  }

  /** Replaces the spec; a changed schedule gets a fresh cursor from `now`. */
  async update(site: StoredSite, spec: SiteSpec, now: number): Promise<StoredSite> {
    const from = Math.max(now, site.lastSlot ?? 0);
    await this.db
      .prepare("UPDATE sites SET spec = ?, updated_at = ?, next_crawl_at = ? WHERE id = ? AND owner = ?")
      .bind(JSON.stringify(spec), now, nextCrawl(spec, from), site.id, site.owner)
      .run();
    return this.mustGet(site.id);
  }

  async delete(site: StoredSite): Promise<void> {
    await this.db.prepare("DELETE FROM sites WHERE id = ? AND owner = ?").bind(site.id, site.owner).run();
  }

  /**
   * Sites whose next recrawl slot has come by `at`, each with the latest slot at or before `at`
   * (missed slots collapse into one). Read-only: `markStarted` moves the cursor after the crawler
   * accepted the crawl, so a failure in between repeats the hand-off instead of losing it.
   */
  async due(at: number, limit: number): Promise<DueSite[]> {
    await ensureSchema(this.db);
    const { results } = await this.db
      .prepare("SELECT * FROM sites WHERE next_crawl_at IS NOT NULL AND next_crawl_at <= ? ORDER BY next_crawl_at LIMIT ?")
      .bind(at, limit)
      .all();
    return results.map(toSite).flatMap((site) => {
      const slot = site.spec.schedule ? latestSlotAtOrBefore(site.spec.schedule, at) : null;
      return slot !== null && slot >= (site.nextCrawlAt ?? 0) ? [{ site, slot }] : [];
    });
  }

  async markStarted(site: StoredSite, slot: number): Promise<void> {
    await this.db
      .prepare("UPDATE sites SET last_slot = ?, next_crawl_at = ? WHERE id = ? AND (last_slot IS NULL OR last_slot < ?)")
      .bind(slot, nextCrawl(site.spec, slot), site.id, slot)
      .run();
  }

  private async mustGet(id: string): Promise<StoredSite> {
    const site = await this.get(null, id);
    if (!site) throw new Error(`site ${id} vanished during a write`);
    return site;
  }
}
