/**
 * robots.txt per RFC 9309: groups selected by our product token (else `*`), longest matching rule
 * wins with `allow` winning ties, `*` wildcards and `$` end anchors. Parsing is pure; fetching and
 * caching live in the page fetcher.
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
}

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
  }
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
    if (!current || (field !== "allow" && field !== "disallow")) continue;
    if (value === "") continue;
    const pattern = normalizePath(value);
    current.rules.push({ allow: field === "allow", pattern, regex: toRegex(pattern) });
  }
  const specific = groups.filter((group) => group.agents.some((agent) => agent !== "*" && token.includes(agent)));
  const chosen = specific.length > 0 ? specific : groups.filter((group) => group.agents.includes("*"));
  return { rules: chosen.flatMap((group) => group.rules) };
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
