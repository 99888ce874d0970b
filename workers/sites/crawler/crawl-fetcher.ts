/**
 * Every request a crawl makes, through the one guarded fetcher (search/fetch): the address policy
 * on every hop, the byte cap, the timeout, charset and bot-challenge detection. Two things are
 * crawl-specific:
 * - robots.txt is fetched once per origin per crawl and kept in the crawl's storage (CrawlRobots):
 *   a restart re-reads it instead of asking again, and its `Crawl-delay` paces the host. As RFC
 *   9309 asks of crawlers, a robots.txt that cannot be reached (5xx, timeout, network) means
 *   "disallow everything" for that crawl; a 4xx means "no rules".
 * - URLs on the worker's own origin (the demo site over the served corpus) are read from the
 *   static assets binding, never over the network, so the worker can crawl itself on Cloudflare
 *   (where a worker cannot fetch its own hostname) and locally alike.
 */
import { createGuardedFetcher, type BytesFetcher, type RobotsPolicy } from "../../../search/fetch";
import { isAllowed, parseRobots, type RobotsRules } from "../../../search/fetch/robots";
import type { PageFetcher } from "../../../search/types";
import type { CrawlStore } from "./crawl-store";

export const CRAWLER_TOKEN = "MegrezEdgeBot";
export const CRAWLER_USER_AGENT = "MegrezEdgeBot/0.1 (+https://github.com/megrez-edge/megrez-edge; site crawler for the site owner's own answers)";
const ROBOTS_MAX_BYTES = 512 * 1024;

export interface CrawlFetchOptions {
  store: CrawlStore;
  crawlId: string;
  /** The worker's own origin: its URLs are read from `assets`. */
  ownOrigin: string;
  assets: Fetcher | undefined;
  allowPrivateAddresses: boolean;
  allowHosts: readonly string[];
  timeoutMs: number;
  /** Called after each request leaves (robots.txt included), for pacing and counting. */
  onRequest: (url: URL) => void;
}

export interface CrawlFetchers {
  fetchPage: PageFetcher;
  fetchBytes: BytesFetcher;
  robots: CrawlRobots;
}

/** A fetch that sends the worker's own URLs to the assets binding and the rest to the network. */
export function crawlTransport(ownOrigin: string, assets: Fetcher | undefined, onRequest: (url: URL) => void): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    onRequest(url);
    if (url.origin !== ownOrigin || !assets) return fetch(input, init);
    const response = await assets.fetch(
      new Request(new URL(`${url.pathname}${url.search}`, "https://assets.local"), { method: "GET", headers: init?.headers }),
    );
    const location = response.headers.get("location");
    if (!location) return response;
    // The assets layer redirects (trailing slashes) within its own host name: point it back at ours.
    const target = new URL(location, "https://assets.local");
    const rewritten = target.origin === "https://assets.local" ? new URL(`${target.pathname}${target.search}`, ownOrigin).href : target.href;
    const headers = new Headers(response.headers);
    headers.set("location", rewritten);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}

/** robots.txt, once per origin per crawl, kept in the crawl's storage. */
export class CrawlRobots implements RobotsPolicy {
  constructor(
    private readonly store: CrawlStore,
    private readonly crawlId: string,
    private readonly fetchRobots: BytesFetcher,
  ) {}

  /** The origin's rules, fetching robots.txt the first time this crawl needs them. */
  async rules(origin: string, signal?: AbortSignal): Promise<RobotsRules> {
    const stored = this.store.robots(this.crawlId, origin);
    if (stored) return this.parse(stored.state, stored.body);
    const outcome = await this.fetchRobots(new URL("/robots.txt", origin).href, signal, { maxBytes: ROBOTS_MAX_BYTES });
    let state: string;
    let body = "";
    if (outcome.ok) {
      state = "rules";
      body = new TextDecoder("utf-8").decode(outcome.bytes);
    } else if (outcome.reason === "http-error" && outcome.status !== undefined && outcome.status >= 400 && outcome.status < 500) {
      state = "none";
    } else if (outcome.reason === "blocked-address" || outcome.reason === "bad-scheme") {
      state = "none";
    } else {
      state = "unreachable";
      body = `${outcome.reason}${outcome.detail ? `: ${outcome.detail}` : ""}`;
    }
    this.store.saveRobots(this.crawlId, origin, state, body);
    return this.parse(state, body);
  }

  /** Whether robots.txt for `origin` could not be read (everything there is then off limits). */
  unreachable(origin: string): string | null {
    const stored = this.store.robots(this.crawlId, origin);
    return stored?.state === "unreachable" ? stored.body : null;
  }

  async allows(url: URL, signal: AbortSignal): Promise<boolean> {
    return isAllowed(await this.rules(url.origin, signal), `${url.pathname}${url.search}`);
  }

  private parse(state: string, body: string): RobotsRules {
    if (state === "rules") return parseRobots(body, CRAWLER_TOKEN);
    if (state === "unreachable") return { rules: [], disallowAll: true };
    return { rules: [] };
  }
}

export function createCrawlFetchers(options: CrawlFetchOptions): CrawlFetchers {
  const transport = crawlTransport(options.ownOrigin, options.assets, options.onRequest);
  const ownHost = new URL(options.ownOrigin).host;
  const common = {
    fetch: transport,
    allowPrivateAddresses: options.allowPrivateAddresses,
    // The worker's own origin is read from the assets binding, never from the network.
    allowHosts: [...options.allowHosts, ...(options.assets ? [ownHost] : [])],
    timeoutMs: options.timeoutMs,
    userAgent: CRAWLER_USER_AGENT,
    robotsToken: CRAWLER_TOKEN,
    concurrency: 1,
  };
  const robotsFetch = createGuardedFetcher({ ...common, robots: false });
  const robots = new CrawlRobots(options.store, options.crawlId, robotsFetch.fetchBytes);
  const guarded = createGuardedFetcher({ ...common, robots });
  return { fetchPage: guarded.fetchPage, fetchBytes: guarded.fetchBytes, robots };
}
