/**
 * Provider hits → SearchResult[]: http(s) URLs only, HTML stripped from titles/snippets (Brave and
 * SearXNG mark matches with <strong>), whitespace collapsed, de-duplicated by canonical URL, cut to
 * the limit and ranked 1..n in the provider's order.
 */
import type { SearchResult } from "../types";
import { isWebUrl, normalizeUrl } from "../canonical-url";

export interface RawHit {
  url: string;
  title?: string | null | undefined;
  snippet?: string | null | undefined;
  publishedAt?: string | null | undefined;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", apos: "'", nbsp: " " };

export function cleanText(text: string | null | undefined): string {
  if (!text) return "";
  return text
    .replace(/<[^>]{0,200}>/g, "")
    .replace(/&(amp|lt|gt|quot|#39|apos|nbsp);/g, (_match, name: string) => ENTITIES[name] ?? "")
    .replace(/\s+/g, " ")
    .trim();
}

export function normalizeResults(provider: string, hits: readonly RawHit[], limit: number): SearchResult[] {
  const seen = new Set<string>();
  const results: SearchResult[] = [];
  for (const hit of hits) {
    if (results.length >= limit) break;
    if (!isWebUrl(hit.url)) continue;
    const key = normalizeUrl(hit.url);
    if (seen.has(key)) continue;
    seen.add(key);
    const publishedAt = cleanText(hit.publishedAt);
    results.push({
      rank: results.length + 1,
      url: hit.url,
      title: cleanText(hit.title) || key,
      snippet: cleanText(hit.snippet),
      provider,
      ...(publishedAt ? { publishedAt } : {}),
    });
  }
  return results;
}

/** De-duplicates an already-normalized list (e.g. merged from several providers) and re-ranks it. */
export function dedupeResults(results: readonly SearchResult[]): SearchResult[] {
  const seen = new Set<string>();
  const kept: SearchResult[] = [];
  for (const result of results) {
    const key = normalizeUrl(result.url);
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push({ ...result, rank: kept.length + 1 });
  }
  return kept;
}
