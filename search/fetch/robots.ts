/**
 * robots.txt per RFC 9309: groups selected by our product token (else `*`), longest matching rule
 * wins with `allow` winning ties, `*` wildcards and `$` end anchors. Also the two widely used
 * extensions a crawler needs: the group's `Crawl-delay` (seconds between requests) and the file's
 * `Sitemap:` lines. Parsing is pure; fetching and caching live in the page fetcher and the crawler.
 */

export interface RobotsRule {
  allow: boolean;
  pattern: string;
  regex: RegExp;
}

export interface RobotsRules {
  rules: RobotsRule[];
  /** Set when the file could not be fetched in a way RFC 9309 treats as "disallow everything". */
  disallowAll?: boolean;
  /** `Crawl-delay` of the chosen group, in seconds (the first valid one). */
  crawlDelaySeconds?: number;
  /** `Sitemap:` URLs, absolute as written (they belong to no group). */
  sitemaps?: string[];
}

/** Longest Crawl-delay honoured as written; a larger value is clamped to it. */
export const MAX_CRAWL_DELAY_SECONDS = 600;

function toRegex(pattern: string): RegExp {
  const anchored = pattern.endsWith("$");
  const body = (anchored ? pattern.slice(0, -1) : pattern)
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}${anchored ? "$" : ""}`);
}

/** Percent-encoding normalization so "/a%2fb" and "/a%2Fb" compare equal. */
function normalizePath(path: string): string {
  return path.replace(/%[0-9a-f]{2}/gi, (sequence) => sequence.toUpperCase());
}

export function parseRobots(text: string, productToken: string): RobotsRules {
  const token = productToken.toLowerCase();
  interface Group {
    agents: string[];
    rules: RobotsRule[];
    crawlDelay?: number;
  }
  const sitemaps: string[] = [];
  const groups: Group[] = [];
  let current: Group | undefined;
  let lastWasAgent = false;
  for (const rawLine of text.slice(0, 500_000).split(/\r\n|\r|\n/)) {
    const line = rawLine.replace(/#.*$/, "").trim();
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const field = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (field === "user-agent") {
      if (!current || !lastWasAgent) {
        current = { agents: [], rules: [] };
        groups.push(current);
      }
      current.agents.push(value.toLowerCase());
      lastWasAgent = true;
      continue;
    }
    lastWasAgent = false;
    if (field === "sitemap") {
      if (/^https?:\/\//i.test(value) && sitemaps.length < 50) sitemaps.push(value);
      continue;
    }
    if (current && field === "crawl-delay") {
      const seconds = Number(value);
      if (current.crawlDelay === undefined && Number.isFinite(seconds) && seconds >= 0) current.crawlDelay = Math.min(seconds, MAX_CRAWL_DELAY_SECONDS);
      continue;
    }
    if (!current || (field !== "allow" && field !== "disallow")) continue;
    if (value === "") continue;
    const pattern = normalizePath(value);
    current.rules.push({ allow: field === "allow", pattern, regex: toRegex(pattern) });
  }
  const specific = groups.filter((group) => group.agents.some((agent) => agent !== "*" && token.includes(agent)));
  const chosen = specific.length > 0 ? specific : groups.filter((group) => group.agents.includes("*"));
  const crawlDelaySeconds = chosen.find((group) => group.crawlDelay !== undefined)?.crawlDelay;
  return { rules: chosen.flatMap((group) => group.rules), sitemaps, ...(crawlDelaySeconds === undefined ? {} : { crawlDelaySeconds }) };
}

/** Whether `pathAndQuery` (e.g. "/news/a?x=1") may be fetched under `rules`. */
export function isAllowed(rules: RobotsRules, pathAndQuery: string): boolean {
  if (pathAndQuery === "/robots.txt") return true;
  if (rules.disallowAll) return false;
  const path = normalizePath(pathAndQuery);
  let best: RobotsRule | undefined;
  for (const rule of rules.rules) {
    if (!rule.regex.test(path)) continue;
    if (!best || rule.pattern.length > best.pattern.length || (rule.pattern.length === best.pattern.length && rule.allow && !best.allow)) best = rule;
  }
  return best ? best.allow : true;
}
