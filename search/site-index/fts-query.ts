/**
 * Turns a question into the site index's full-text query: the question's terms (words plus CJK
 * bigrams, `tokenizeTerms`, the same tokenization the rows were indexed with) OR-ed together over
 * the title, headings and body columns, AND-ed with the site column so only the named sites'
 * passages can match. Every term is a quoted FTS5 string, so nothing a user types is read as query
 * syntax. BM25 weights per column live here too: a match in a page title counts more than one in a
 * heading, which counts more than one in the body; the site column weighs nothing.
 */
import { tokenizeTerms } from "../text-terms";

/** Most distinct terms sent to the engine; a longer question keeps its first ones. */
export const MAX_QUERY_TERMS = 32;

/** bm25() weights, in the column order site, title, headings, body. */
export const COLUMN_WEIGHTS = { site: 0, title: 4, headings: 2, body: 1 } as const;

/** The site column's token for a site id: letters and digits only, so the tokenizer keeps it whole. */
export function siteToken(siteId: string): string {
  return `s${siteId.toLowerCase().replace(/[^a-z0-9]/g, "")}`;
}

function quoted(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

/** The MATCH expression, or undefined when the question has no searchable term. */
export function matchExpression(question: string, siteIds: readonly string[]): string | undefined {
  const terms = [...new Set(tokenizeTerms(question))].slice(0, MAX_QUERY_TERMS);
  if (terms.length === 0 || siteIds.length === 0) return undefined;
  const sites = siteIds.map((id) => quoted(siteToken(id))).join(" OR ");
  return `{site} : (${sites}) AND {title headings body} : (${terms.map(quoted).join(" OR ")})`;
}
