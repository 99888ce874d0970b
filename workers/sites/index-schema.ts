/**
 * The site index's tables in D1 (binding SITE_INDEX), created by the worker itself on first use
 * (`CREATE … IF NOT EXISTS`, once per isolate), so `wrangler dev` and tests need no migration step
 * and no account:
 * - `sites`: the registry (owner, spec, schedule cursor), one row per site;
 * - `site_pages`: one row per indexed page (URL, title, `updated`, passage count);
 * - `site_passages`: the passages as rows (headings, text); id = page id × 512 + position;
 * - `site_fts`: FTS5, contentless (the text is in `site_passages`; deletes allowed), one row per
 *   passage with the site token and the title / headings / body terms, `porter unicode61`.
 * Local workerd's D1 has FTS5 (and the trigram tokenizer); the terms are pre-tokenized
 * (words + CJK bigrams) because neither `unicode61` nor `trigram` matches two-character Chinese
 * words (docs/sites.md says why).
 */

export const SCHEMA_VERSION = 1;

const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS sites (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    spec TEXT NOT NULL,
    origin TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    next_crawl_at INTEGER,
    last_slot INTEGER
  )`,
  "CREATE INDEX IF NOT EXISTS sites_by_owner ON sites(owner, created_at)",
  "CREATE INDEX IF NOT EXISTS sites_due ON sites(next_crawl_at)",
  `CREATE TABLE IF NOT EXISTS site_pages (
    id INTEGER PRIMARY KEY,
    site_id TEXT NOT NULL,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    updated TEXT,
    indexed_at INTEGER NOT NULL,
    passages INTEGER NOT NULL,
    UNIQUE(site_id, url)
  )`,
  `CREATE TABLE IF NOT EXISTS site_passages (
    id INTEGER PRIMARY KEY,
    page_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    headings TEXT NOT NULL,
    text TEXT NOT NULL
  )`,
  "CREATE INDEX IF NOT EXISTS site_passages_by_page ON site_passages(page_id)",
  `CREATE VIRTUAL TABLE IF NOT EXISTS site_fts USING fts5(
    site, title, headings, body,
    content='', contentless_delete=1,
    tokenize='porter unicode61 remove_diacritics 2'
  )`,
];

/** Passage ids are page id × PASSAGE_ID_STRIDE + position (positions stay below it). */
export const PASSAGE_ID_STRIDE = 512;

/** The worker has one SITE_INDEX database; its binding object may differ per request, the tables do not. */
let ready: Promise<void> | undefined;

/** Creates the tables once per isolate; a failure is retried on the next call. */
export function ensureSchema(db: D1Database): Promise<void> {
  if (!ready) {
    ready = db
      .batch(STATEMENTS.map((sql) => db.prepare(sql)))
      .then(() => undefined)
      .catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
  }
  return ready;
}
