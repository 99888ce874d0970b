/**
 * Sitemaps (sitemaps.org 0.9) for the crawler: a `<urlset>` lists pages (`<loc>`, `<lastmod>`), a
 * `<sitemapindex>` lists further sitemaps. Files may be gzip-compressed (`.xml.gz`, or a server
 * that sends the gzip bytes as they are); they are recognised by their magic bytes and inflated with
 * the standard DecompressionStream, capped at the protocol's 50 MiB so a zip bomb stops early.
 * Parsing is a tolerant scan for `<loc>` inside `<url>` / `<sitemap>` entries (namespace prefixes,
 * CDATA and entities allowed), not a full XML parser: sitemaps are flat and often slightly broken.
 */
import { type BodyBytes, readCappedBody } from "../fetch/read-body";

export interface SitemapEntry {
  url: string;
  /** `<lastmod>` as written (W3C datetime), when present. */
  lastmod?: string;
}

export type ParsedSitemap = { kind: "urlset" | "index"; entries: SitemapEntry[]; truncated: boolean } | { kind: "invalid"; detail: string };

/** sitemaps.org limits: 50 000 URLs and 50 MiB uncompressed per file. */
export const SITEMAP_MAX_ENTRIES = 50_000;
export const SITEMAP_MAX_BYTES = 50 * 1024 * 1024;

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeXmlText(raw: string): string {
  const cdata = /^\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*$/.exec(raw);
  const text = cdata ? (cdata[1] ?? "") : raw;
  return text
    .replace(/&(amp|lt|gt|quot|apos);/g, (_match, name: string) => ENTITIES[name] ?? "")
    .replace(/&#(\d+);/g, (_match, code: string) => String.fromCodePoint(Math.min(Number(code), 0x10ffff)))
    .replace(/&#x([0-9a-f]+);/gi, (_match, code: string) => String.fromCodePoint(Math.min(Number.parseInt(code, 16), 0x10ffff)))
    .trim();
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Inflates gzip bytes, stopping at `maxBytes` of output (`truncated` then says so). */
export async function gunzip(bytes: Uint8Array, maxBytes = SITEMAP_MAX_BYTES): Promise<BodyBytes> {
  const source = new ReadableStream<BufferSource>({
    start(controller) {
      controller.enqueue(new Uint8Array(bytes));
      controller.close();
    },
  });
  // The capped reader the page fetcher uses: a gzip bomb costs at most `maxBytes`.
  return readCappedBody(new Response(source.pipeThrough(new DecompressionStream("gzip"))), maxBytes);
}

/** Parses sitemap text; relative or non-http(s) `<loc>`s are dropped (the protocol wants absolute URLs). */
export function parseSitemapXml(xml: string): ParsedSitemap {
  const root = /<(?:[\w-]+:)?(urlset|sitemapindex)\b/i.exec(xml);
  if (!root) return { kind: "invalid", detail: "no <urlset> or <sitemapindex> element" };
  const kind = root[1]?.toLowerCase() === "sitemapindex" ? "index" : "urlset";
  const entryTag = kind === "index" ? "sitemap" : "url";
  const entryPattern = new RegExp(`<(?:[\\w-]+:)?${entryTag}\\b[^>]*>([\\s\\S]*?)</(?:[\\w-]+:)?${entryTag}\\s*>`, "gi");
  const entries: SitemapEntry[] = [];
  let truncated = false;
  for (const match of xml.matchAll(entryPattern)) {
    if (entries.length >= SITEMAP_MAX_ENTRIES) {
      truncated = true;
      break;
    }
    const body = match[1] ?? "";
    const loc = /<(?:[\w-]+:)?loc\b[^>]*>([\s\S]*?)<\/(?:[\w-]+:)?loc\s*>/i.exec(body)?.[1];
    if (loc === undefined) continue;
    const url = decodeXmlText(loc);
    if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) continue;
    const lastmod = /<(?:[\w-]+:)?lastmod\b[^>]*>([\s\S]*?)<\/(?:[\w-]+:)?lastmod\s*>/i.exec(body)?.[1];
    const modified = lastmod === undefined ? "" : decodeXmlText(lastmod);
    entries.push({ url, ...(modified ? { lastmod: modified } : {}) });
  }
  return { kind, entries, truncated };
}

/** Bytes as fetched (plain or gzip XML, or a plain-text list of URLs) → entries. */
export async function parseSitemap(bytes: Uint8Array): Promise<ParsedSitemap> {
  let body = bytes;
  let truncated = false;
  if (isGzip(bytes)) {
    try {
      ({ bytes: body, truncated } = await gunzip(bytes));
    } catch (error) {
      return { kind: "invalid", detail: `gzip data could not be inflated: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  const text = new TextDecoder("utf-8").decode(body);
  if (!text.trimStart().startsWith("<")) return parseTextSitemap(text);
  const parsed = parseSitemapXml(text);
  return parsed.kind === "invalid" ? parsed : { ...parsed, truncated: parsed.truncated || truncated };
}

/** The protocol's text form: one absolute URL per line. */
function parseTextSitemap(text: string): ParsedSitemap {
  const urls = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => /^https?:\/\//i.test(line) && URL.canParse(line));
  if (urls.length === 0) return { kind: "invalid", detail: "neither XML nor a list of URLs" };
  return { kind: "urlset", entries: urls.slice(0, SITEMAP_MAX_ENTRIES).map((url) => ({ url })), truncated: urls.length > SITEMAP_MAX_ENTRIES };
}
