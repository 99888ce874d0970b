/**
 * The search filter every entry point speaks: a domain allow/deny list and a recency window.
 * Requests give the domain list as Perplexity's `search_domain_filter` does (`"nasa.gov"` allows,
 * `"-reddit.com"` denies, an http(s) URL narrows to a path); `parseDomainFilter` validates it once
 * and every provider, the local index and the research stage read the parsed form. Matching is by
 * URL host (the rule's host or any subdomain of it; a leading `www.` is ignored on both sides) and,
 * for URL rules, by path prefix. Platform-free.
 */

export const RECENCY_WINDOWS = ["hour", "day", "week", "month", "year"] as const;
export type Recency = (typeof RECENCY_WINDOWS)[number];

/** At most this many entries in one domain filter (Perplexity's limit). */
export const MAX_DOMAIN_FILTER_ENTRIES = 20;

/** One allow or deny rule: a host (lower-case ASCII, no `www.`), optionally narrowed to a path prefix. */
export interface DomainRule {
  host: string;
  /** Path prefix for URL-level rules, e.g. "/wiki/Chess"; absent for domain rules. */
  path?: string;
}

/** Results must match one `allow` rule (when any is given) and no `deny` rule. */
export interface DomainFilter {
  allow: DomainRule[];
  deny: DomainRule[];
}

export interface SearchFilter {
  domains?: DomainFilter;
  recency?: Recency;
}

const WINDOW_MS: Record<Recency, number> = {
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30 * 86_400_000,
  year: 365 * 86_400_000,
};

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function stripWww(host: string): string {
  return host.startsWith("www.") && host.length > 4 ? host.slice(4) : host;
}

/** A domain entry ("nasa.gov", "中文.com", "edu") as its ASCII host, or undefined when it is not one. */
function asHost(entry: string): string | undefined {
  if (!/^[^\s/:?#@\\[\]]+$/.test(entry)) return undefined;
  let host: string;
  try {
    host = new URL(`http://${entry}`).hostname;
  } catch {
    return undefined;
  }
  const labels = host.split(".");
  if (host.length > 253 || labels.some((label) => !LABEL.test(label))) return undefined;
  if (/^[0-9.]+$/.test(host)) return undefined;
  return stripWww(host);
}

function asUrlRule(entry: string): DomainRule | undefined {
  if (!/^https?:\/\//i.test(entry) || !URL.canParse(entry)) return undefined;
  const url = new URL(entry);
  if (url.username || url.password || url.port) return undefined;
  const host = asHost(url.hostname);
  if (!host) return undefined;
  const path = url.pathname.replace(/\/+$/, "");
  return path ? { host, path } : { host };
}

export type DomainFilterResult = { ok: true; filter: DomainFilter } | { ok: false; index: number; message: string };

/**
 * Validates a Sonar-style domain list. An empty list is no filter (`allow` and `deny` empty).
 * @example
 * parseDomainFilter(["nasa.gov", "-reddit.com", "https://en.wikipedia.org/wiki/Chess"])
 * // { ok: true, filter: { allow: [{host:"nasa.gov"}, {host:"en.wikipedia.org", path:"/wiki/Chess"}], deny: [{host:"reddit.com"}] } }
 */
export function parseDomainFilter(entries: readonly string[]): DomainFilterResult {
  if (entries.length > MAX_DOMAIN_FILTER_ENTRIES) {
    return { ok: false, index: MAX_DOMAIN_FILTER_ENTRIES, message: `at most ${MAX_DOMAIN_FILTER_ENTRIES} entries` };
  }
  const filter: DomainFilter = { allow: [], deny: [] };
  for (const [index, raw] of entries.entries()) {
    const trimmed = raw.trim();
    const deny = trimmed.startsWith("-");
    const entry = deny ? trimmed.slice(1).trim() : trimmed;
    const rule = /^https?:\/\//i.test(entry) ? asUrlRule(entry) : ((host) => (host ? { host } : undefined))(asHost(entry));
    if (!rule) {
      return { ok: false, index, message: `"${raw.slice(0, 100)}" is not a domain (like "nasa.gov", or "-reddit.com" to exclude) nor an http(s) URL` };
    }
    (deny ? filter.deny : filter.allow).push(rule);
  }
  return { ok: true, filter };
}

/** True when the filter restricts nothing. */
export function isEmptyDomainFilter(filter: DomainFilter | undefined): boolean {
  return !filter || (filter.allow.length === 0 && filter.deny.length === 0);
}

function ruleMatches(rule: DomainRule, host: string, path: string): boolean {
  if (host !== rule.host && !host.endsWith(`.${rule.host}`)) return false;
  if (rule.path === undefined) return true;
  return path === rule.path || path.startsWith(`${rule.path}/`) || (rule.path.endsWith("/") && path.startsWith(rule.path));
}

/** Whether `url` passes the domain filter (an unparseable URL never passes a non-empty filter). */
export function matchesDomainFilter(url: string, filter: DomainFilter | undefined): boolean {
  if (isEmptyDomainFilter(filter) || !filter) return true;
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  const host = stripWww(parsed.hostname.toLowerCase());
  const path = parsed.pathname;
  if (filter.deny.some((rule) => ruleMatches(rule, host, path))) return false;
  return filter.allow.length === 0 || filter.allow.some((rule) => ruleMatches(rule, host, path));
}

const RELATIVE_DATE = /^(\d+)\s*(mins?|minutes?|h|hrs?|hours?|days?|weeks?|months?|years?)\s+ago$/i;
const UNIT_MS: [RegExp, number][] = [
  [/^min/, 60_000],
  [/^h/, 3_600_000],
  [/^d/, 86_400_000],
  [/^w/, 7 * 86_400_000],
  [/^mo/, 30 * 86_400_000],
  [/^y/, 365 * 86_400_000],
];

/**
 * A provider's publication date as epoch ms: ISO dates, "Dec 16, 2024", and the relative forms
 * search engines print ("3 days ago", "5 hours ago"). Undefined when it cannot be read.
 */
export function parsePublishedAt(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  const relative = RELATIVE_DATE.exec(text);
  if (relative) {
    const unit = (relative[2] ?? "").toLowerCase();
    const ms = UNIT_MS.find(([pattern]) => pattern.test(unit))?.[1];
    return ms === undefined ? undefined : now - Number(relative[1]) * ms;
  }
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

/**
 * Whether a result published at `publishedAt` is inside the recency window. A result without a
 * readable date passes: nothing shows it breaks the filter (the provider was asked to apply it).
 */
export function withinRecency(publishedAt: string | undefined, recency: Recency | undefined, now: number): boolean {
  if (!recency) return true;
  const time = parsePublishedAt(publishedAt, now);
  return time === undefined || time >= now - WINDOW_MS[recency];
}

/** Keeps the results that pass the filter; returns the dropped ones too (for logs and tests). */
export function applySearchFilter<Result extends { url: string; publishedAt?: string }>(
  results: readonly Result[],
  filter: SearchFilter | undefined,
  now: number,
): { kept: Result[]; dropped: Result[] } {
  const kept: Result[] = [];
  const dropped: Result[] = [];
  for (const result of results) {
    const passes = matchesDomainFilter(result.url, filter?.domains) && withinRecency(result.publishedAt, filter?.recency, now);
    (passes ? kept : dropped).push(result);
  }
  return { kept, dropped };
}

function siteTerm(rule: DomainRule): string {
  return `site:${rule.host}${rule.path ?? ""}`;
}

/**
 * The domain filter as web-search operators appended to a query: `(site:a.com OR site:b.org)
 * -site:c.net`. `maxChars`/`maxWords` bound the whole query (Brave: 400 / 50); terms that do not
 * fit are left out, deny terms first, and the results are filtered afterwards anyway.
 */
export function withSiteOperators(query: string, filter: DomainFilter | undefined, limits: { maxChars?: number; maxWords?: number } = {}): string {
  if (!filter || isEmptyDomainFilter(filter)) return query;
  const maxChars = limits.maxChars ?? Number.POSITIVE_INFINITY;
  const maxWords = limits.maxWords ?? Number.POSITIVE_INFINITY;
  const fits = (text: string) => text.length <= maxChars && text.split(/\s+/).filter(Boolean).length <= maxWords;
  const compose = (allow: DomainRule[], deny: DomainRule[]) => {
    const allowPart = allow.length === 0 ? "" : allow.length === 1 ? siteTerm(allow[0] as DomainRule) : `(${allow.map(siteTerm).join(" OR ")})`;
    return [query, allowPart, ...deny.map((rule) => `-${siteTerm(rule)}`)].filter(Boolean).join(" ");
  };
  let allow = filter.allow;
  let deny = filter.deny;
  while (!fits(compose(allow, deny)) && (allow.length > 0 || deny.length > 0)) {
    if (deny.length > 0) deny = deny.slice(0, -1);
    else allow = allow.slice(0, -1);
  }
  return compose(allow, deny);
}

/** Stable text of a filter, for cache keys. */
export function searchFilterKey(filter: SearchFilter | undefined): string {
  if (!filter) return "";
  const rules = (rules: DomainRule[]) => rules.map((rule) => `${rule.host}${rule.path ?? ""}`).join(",");
  const domains = filter.domains && !isEmptyDomainFilter(filter.domains) ? `+${rules(filter.domains.allow)}-${rules(filter.domains.deny)}` : "";
  return `${domains}@${filter.recency ?? ""}`;
}
