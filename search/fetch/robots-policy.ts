/**
 * robots.txt lookups for the page fetcher: one fetch per origin, cached (LRU, 1 hour), through the
 * same guarded request path (address policy, concurrency cap, redirect cap).
 *
 * Status handling follows RFC 9309: 4xx means "no rules", 5xx means "disallow everything". A
 * network failure or timeout on robots.txt is treated as "no rules" (remembered for a minute, not an
 * hour): we fetch single pages a user asked about rather than crawl, and the page request itself
 * will surface a dead host.
 */
import { createLruCache } from "../cache";
import { checkOutboundUrl, type OutboundUrlPolicy } from "../url-guard";
import { readCappedBody } from "./read-body";
import { isAllowed, parseRobots, type RobotsRules } from "./robots";

const ROBOTS_MAX_BYTES = 512 * 1024;

export interface RobotsPolicyOptions {
  request: (url: URL, signal: AbortSignal) => Promise<Response>;
  policy: OutboundUrlPolicy;
  token: string;
  maxRedirects: number;
}

interface Loaded {
  rules: RobotsRules;
  ttlSeconds: number;
}

export interface RobotsPolicy {
  allows(url: URL, signal: AbortSignal): Promise<boolean>;
}

export function createRobotsPolicy(options: RobotsPolicyOptions): RobotsPolicy {
  const cache = createLruCache<RobotsRules>({ maxEntries: 256, defaultTtlSeconds: 3600 });
  const pending = new Map<string, Promise<Loaded>>();

  async function load(origin: string, signal: AbortSignal): Promise<Loaded> {
    const rules = await loadRules(origin, signal).catch((): RobotsRules | undefined => undefined);
    // A network failure or timeout is remembered briefly, so one slow origin is not retried per page
    // but is not treated as rule-free for the whole hour either.
    return rules ? { rules, ttlSeconds: 3600 } : { rules: { rules: [] }, ttlSeconds: 60 };
  }

  async function loadRules(origin: string, signal: AbortSignal): Promise<RobotsRules | undefined> {
    let url = new URL("/robots.txt", origin);
    for (let hop = 0; hop <= options.maxRedirects; hop++) {
      const response = await options.request(url, signal);
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel().catch(() => undefined);
        const verdict = URL.canParse(location, url.href) ? checkOutboundUrl(new URL(location, url), options.policy) : undefined;
        if (!verdict?.ok) return { rules: [] };
        url = verdict.url;
        continue;
      }
      if (response.status >= 500) {
        await response.body?.cancel().catch(() => undefined);
        return { rules: [], disallowAll: true };
      }
      if (response.status >= 400) {
        await response.body?.cancel().catch(() => undefined);
        return { rules: [] };
      }
      const { bytes } = await readCappedBody(response, ROBOTS_MAX_BYTES);
      return parseRobots(new TextDecoder("utf-8").decode(bytes), options.token);
    }
    return { rules: [] };
  }

  return {
    async allows(url, signal) {
      const origin = url.origin;
      let rules = await cache.get(origin);
      if (!rules) {
        let loading = pending.get(origin);
        if (!loading) {
          loading = load(origin, signal).finally(() => pending.delete(origin));
          pending.set(origin, loading);
        }
        const loaded = await loading;
        rules = loaded.rules;
        await cache.put(origin, rules, { ttlSeconds: loaded.ttlSeconds });
      }
      return isAllowed(rules, `${url.pathname}${url.search}`);
    },
  };
}
