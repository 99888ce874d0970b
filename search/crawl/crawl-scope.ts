/**
 * Which URLs belong to a site's crawl: the hosts of its start URLs and sitemaps (same site, no
 * wandering onto other hosts through links), narrowed by the owner's include / exclude patterns
 * (exclude wins). A pattern is a URL with `*` wildcards (`https://docs.acme.com/guide/*`) or, when
 * it starts with `/`, a path-and-query pattern on any of the site's hosts (`/blog/*`, `*.pdf`
 * anchors with `$`). Also the frontier key: one spelling per page (`normalizeUrl`: no fragment,
 * no tracking parameters, sorted query, no trailing slash), so `/a`, `/a/` and `/a?utm_source=x`
 * are fetched once.
 */
import { normalizeUrl } from "../canonical-url";

export interface CrawlScopeSpec {
  startUrls: readonly string[];
  sitemaps: readonly string[];
  include: readonly string[];
  exclude: readonly string[];
}

export type ScopeVerdict = { ok: true } | { ok: false; reason: "off-site" | "excluded" | "not-included" | "bad-url" };

export interface CrawlScope {
  /** Hosts (host:port as in URL.host, lower-case) the crawl may visit. */
  readonly hosts: ReadonlySet<string>;
  check(url: string): ScopeVerdict;
}

interface CompiledPattern {
  /** Matched against the full URL (true) or its path and query (false). */
  full: boolean;
  regex: RegExp;
}

function compile(pattern: string): CompiledPattern {
  const trimmed = pattern.trim();
  const anchored = trimmed.endsWith("$");
  const body = (anchored ? trimmed.slice(0, -1) : trimmed)
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return { full: !trimmed.startsWith("/") && !trimmed.startsWith("*"), regex: new RegExp(`^${body}${anchored ? "$" : ""}`, "i") };
}

function matches(pattern: CompiledPattern, url: URL): boolean {
  return pattern.regex.test(pattern.full ? url.href : `${url.pathname}${url.search}`);
}

/** The frontier key of a URL (its normalized spelling). */
export function crawlKey(url: string): string {
  return normalizeUrl(url);
}

export function createCrawlScope(spec: CrawlScopeSpec): CrawlScope {
  const hosts = new Set<string>();
  for (const url of [...spec.startUrls, ...spec.sitemaps]) {
    if (URL.canParse(url)) hosts.add(new URL(url).host.toLowerCase());
  }
  const include = spec.include.map(compile);
  const exclude = spec.exclude.map(compile);
  return {
    hosts,
    check(raw) {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return { ok: false, reason: "bad-url" };
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") return { ok: false, reason: "bad-url" };
      if (!hosts.has(url.host.toLowerCase())) return { ok: false, reason: "off-site" };
      if (exclude.some((pattern) => matches(pattern, url))) return { ok: false, reason: "excluded" };
      if (include.length > 0 && !include.some((pattern) => matches(pattern, url))) return { ok: false, reason: "not-included" };
      return { ok: true };
    },
  };
}
