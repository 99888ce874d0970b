/**
 * Reads and writes of the site index in D1: a page's passages replaced in one atomic batch
 * (old full-text rows, old passages, the page row, new passages, new full-text rows), a page or a
 * whole site removed, pages listed for the crawler's clean-up, and the BM25 query behind the `site`
 * search provider. Statements stay under D1's 100 bound parameters by inserting rows in chunks.
 */
import { COLUMN_WEIGHTS, siteToken } from "../../search/site-index/fts-query";
import type { PassageRow } from "../../search/site-index/passage-rows";
import type { SitePassageHit } from "../../search/providers/site-index";
import { ensureSchema, PASSAGE_ID_STRIDE } from "./index-schema";

export interface IndexedPage {
  url: string;
  title: string;
  /** The page's own date (published / modified), ISO, when it declares one. */
  updated?: string;
  rows: PassageRow[];
}

export interface SiteIndexStats {
  pages: number;
  passages: number;
}

const PAGE_ID = "(SELECT id FROM site_pages WHERE site_id = ? AND url = ?)";
/** Rows per multi-row INSERT: 3 + 3 or 4 bound values per row keeps a statement under D1's 100. */
const PASSAGES_PER_INSERT = 16;
const FTS_PER_INSERT = 16;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

function deletePageStatements(db: D1Database, siteId: string, url: string): D1PreparedStatement[] {
  return [
    db.prepare(`DELETE FROM site_fts WHERE rowid IN (SELECT p.id FROM site_passages p WHERE p.page_id = ${PAGE_ID})`).bind(siteId, url),
    db.prepare(`DELETE FROM site_passages WHERE page_id = ${PAGE_ID}`).bind(siteId, url),
  ];
}

export class SiteIndexStore {
  constructor(private readonly db: D1Database) {}

  /** Replaces one page's passages (or adds the page); all or nothing. */
  async putPage(siteId: string, page: IndexedPage, now: number): Promise<void> {
    await ensureSchema(this.db);
    const db = this.db;
    const token = siteToken(siteId);
    const statements: D1PreparedStatement[] = [
      ...deletePageStatements(db, siteId, page.url),
      db
        .prepare(
          `INSERT INTO site_pages (site_id, url, title, updated, indexed_at, passages) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(site_id, url) DO UPDATE SET title = excluded.title, updated = excluded.updated, indexed_at = excluded.indexed_at, passages = excluded.passages`,
        )
        .bind(siteId, page.url, page.title, page.updated ?? null, now, page.rows.length),
    ];
    // Numbered parameters throughout: ?1 site, ?2 url, ?3 site token, then the rows' values.
    const pageId = "(SELECT id FROM site_pages WHERE site_id = ?1 AND url = ?2)";
    for (const group of chunks(page.rows, PASSAGES_PER_INSERT)) {
      const values = group.map((_row, i) => {
        const n = 3 + i * 3;
        return `(${pageId} * ${PASSAGE_ID_STRIDE} + ?${n + 1}, ${pageId}, ?${n + 1}, ?${n + 2}, ?${n + 3})`;
      });
      statements.push(
        db
          .prepare(`INSERT INTO site_passages (id, page_id, position, headings, text) VALUES ${values.join(", ")}`)
          .bind(siteId, page.url, token, ...group.flatMap((row) => [row.position, row.headings, row.text])),
      );
    }
    for (const group of chunks(page.rows, FTS_PER_INSERT)) {
      const values = group.map((_row, i) => {
        const n = 3 + i * 4;
        return `(${pageId} * ${PASSAGE_ID_STRIDE} + ?${n + 1}, ?3, ?${n + 2}, ?${n + 3}, ?${n + 4})`;
      });
      statements.push(
        db
          .prepare(`INSERT INTO site_fts (rowid, site, title, headings, body) VALUES ${values.join(", ")}`)
          .bind(siteId, page.url, token, ...group.flatMap((row) => [row.position, row.titleTerms, row.headingTerms, row.bodyTerms])),
      );
    }
    await db.batch(statements);
  }

  async removePage(siteId: string, url: string): Promise<boolean> {
    await ensureSchema(this.db);
    const results = await this.db.batch([
      ...deletePageStatements(this.db, siteId, url),
      this.db.prepare("DELETE FROM site_pages WHERE site_id = ? AND url = ?").bind(siteId, url),
    ]);
    return (results[2]?.meta.changes ?? 0) > 0;
  }

  /** Every page URL of a site with when it was indexed (the crawler's clean-up reads it). */
  async pages(siteId: string): Promise<Array<{ url: string; indexedAt: number }>> {
    await ensureSchema(this.db);
    const { results } = await this.db
      .prepare("SELECT url, indexed_at FROM site_pages WHERE site_id = ? ORDER BY id")
      .bind(siteId)
      .all<{ url: string; indexed_at: number }>();
    return results.map((row) => ({ url: row.url, indexedAt: row.indexed_at }));
  }

  /** Drops a site's whole index, page by page in batches so no statement grows unbounded. */
  async removeSite(siteId: string): Promise<void> {
    await ensureSchema(this.db);
    for (;;) {
      const { results } = await this.db.prepare("SELECT id FROM site_pages WHERE site_id = ? LIMIT 50").bind(siteId).all<{ id: number }>();
      if (results.length === 0) return;
      const ids = results.map((row) => row.id);
      const marks = ids.map(() => "?").join(", ");
      await this.db.batch([
        this.db.prepare(`DELETE FROM site_fts WHERE rowid IN (SELECT id FROM site_passages WHERE page_id IN (${marks}))`).bind(...ids),
        this.db.prepare(`DELETE FROM site_passages WHERE page_id IN (${marks})`).bind(...ids),
        this.db.prepare(`DELETE FROM site_pages WHERE id IN (${marks})`).bind(...ids),
      ]);
    }
  }

  async stats(siteId: string): Promise<SiteIndexStats> {
    await ensureSchema(this.db);
    const row = await this.db
      .prepare("SELECT COUNT(*) AS pages, COALESCE(SUM(passages), 0) AS passages FROM site_pages WHERE site_id = ?")
      .bind(siteId)
      .first<{ pages: number; passages: number }>();
    return { pages: row?.pages ?? 0, passages: row?.passages ?? 0 };
  }

  /** Best passages for a MATCH expression (fts-query.ts), best first. */
  async searchPassages(match: string, limit: number): Promise<SitePassageHit[]> {
    await ensureSchema(this.db);
    const { site, title, headings, body } = COLUMN_WEIGHTS;
    const { results } = await this.db
      .prepare(
        `SELECT g.url AS url, g.title AS title, g.updated AS updated, p.headings AS headings, p.text AS text, bm25(site_fts, ${site}, ${title}, ${headings}, ${body}) AS score
         FROM site_fts JOIN site_passages p ON p.id = site_fts.rowid JOIN site_pages g ON g.id = p.page_id
         WHERE site_fts MATCH ? ORDER BY score LIMIT ?`,
      )
      .bind(match, limit)
      .all<{ url: string; title: string; updated: string | null; headings: string; text: string; score: number }>();
    return results.map((row) => ({
      url: row.url,
      title: row.title,
      headings: row.headings,
      text: row.text,
      // FTS5's bm25() is negative, lower is better; the provider wants higher = better.
      score: -row.score,
      ...(row.updated ? { updated: row.updated } : {}),
    }));
  }
}
