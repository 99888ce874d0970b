/**
 * The guarded page fetcher: turns a URL from a search result into page text, or into a typed
 * reason it could not (never an exception), so the agent can fall back to the search snippet.
 *
 * Guards, in order: the outbound-URL guard (search/url-guard) on every hop (redirects are followed by hand so each
 * Location is re-checked), robots.txt for our product token (cached per origin), a concurrency cap
 * (Workers: 6 connections), a per-page timeout inside an overall deadline, a content-type gate that
 * trusts bytes over headers (PDF reported, binaries refused), a streamed byte cap with a truncation
 * flag, charset decoding (BOM, header, <meta>; GBK/Big5/Shift_JIS via TextDecoder), and detection of
 * bot challenges and paywall stubs. Conditional requests (ETag / Last-Modified validators in, 304
 * reported as `not-modified`) serve the crawler's recrawls.
 *
 * `createGuardedFetcher` also hands out `fetchBytes`, the same guarded path without the page gates,
 * for files a crawler reads that are not pages (sitemaps, possibly gzip-compressed).
 *
 * @example
 * const fetchPage = createPageFetcher({ fetch });
 * const outcome = await fetchPage("https://example.com/article");
 * if (outcome.ok) console.log(extractPage(outcome.body, outcome.finalUrl).text);
 */
import type { ConditionalRequest, FetchOutcome, FetchRequestOptions, PageFetcher } from "../types";
import { checkOutboundUrl, type OutboundUrlPolicy } from "../url-guard";
import { decodeHtmlBytes } from "../charset";
import { classifyContent, isBotChallenge, isPaywallStub, mayBeReadable, mediaType } from "./classify-content";
import { createLimiter } from "./limit";
import { readCappedBody } from "./read-body";
import { createRobotsPolicy, type RobotsPolicy } from "./robots-policy";

export const DEFAULT_USER_AGENT = "MegrezEdgeBot/0.1 (+https://github.com/megrez-edge/megrez-edge; search-augmented chat, fetches pages a user asked about)";
export const DEFAULT_ROBOTS_TOKEN = "MegrezEdgeBot";

export interface PageFetcherOptions extends OutboundUrlPolicy {
  fetch: typeof fetch;
  /** Per-page budget, all hops included (default 10 s, the reference's page-load timeout). */
  timeoutMs?: number;
  /** Byte cap on a page body; longer bodies are cut and flagged `truncated` (default 2 MiB). */
  maxBytes?: number;
  maxRedirects?: number;
  userAgent?: string;
  /** Token matched against robots.txt `User-agent` lines (default "MegrezEdgeBot"). */
  robotsToken?: string;
  /** Simultaneous requests (default 6: the Workers limit on open connections). */
  concurrency?: number;
  /**
   * Honour robots.txt (default true): `true` fetches and caches it per origin here, `false` skips
   * it, and a policy object decides instead (the crawler's, which keeps one copy per crawl).
   */
  robots?: boolean | RobotsPolicy;
  /** Absolute time (ms since epoch, by `now`) after which no request starts or continues. */
  deadline?: number;
  now?: () => number;
}

export type { PageFetcher, RobotsPolicy };

type Failure = Extract<FetchOutcome, { ok: false }>;

/** A non-page resource read through the same guards (no content gates, no decoding). */
export type BytesOutcome =
  | {
      ok: true;
      url: string;
      finalUrl: string;
      status: number;
      contentType: string;
      bytes: Uint8Array;
      truncated: boolean;
      etag?: string;
      lastModified?: string;
    }
  | Failure;

export type BytesFetcher = (url: string, signal?: AbortSignal, options?: FetchRequestOptions & { maxBytes?: number }) => Promise<BytesOutcome>;

export interface GuardedFetcher {
  fetchPage: PageFetcher;
  fetchBytes: BytesFetcher;
}
type FailureReason = Failure["reason"];

class FetchFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    readonly detail: string,
    readonly status?: number,
  ) {
    super(detail);
  }
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

interface FetcherContext {
  request: (url: URL, signal: AbortSignal, conditional?: ConditionalRequest) => Promise<Response>;
  robots: RobotsPolicy | undefined;
  policy: OutboundUrlPolicy;
  maxRedirects: number;
  maxBytes: number;
}

function nextHop(location: string, from: URL, policy: OutboundUrlPolicy, status: number): URL {
  let target: URL;
  try {
    target = new URL(location, from);
  } catch {
    throw new FetchFailure("http-error", "redirect to an invalid Location", status);
  }
  const verdict = checkOutboundUrl(target, policy);
  if (!verdict.ok) throw new FetchFailure(verdict.reason, `redirect refused: ${verdict.detail}`, status);
  return verdict.url;
}

/** Follows redirects by hand so every hop passes robots.txt and the address policy again. */
async function followRedirects(
  context: FetcherContext,
  start: URL,
  signal: AbortSignal,
  conditional: ConditionalRequest | undefined,
): Promise<{ response: Response; url: URL }> {
  let url = start;
  for (let hop = 0; ; hop++) {
    if (context.robots && !(await context.robots.allows(url, signal))) throw new FetchFailure("robots-disallowed", `robots.txt disallows ${url.pathname}`);
    const response = await context.request(url, signal, conditional);
    if (!isRedirect(response.status)) return { response, url };
    await response.body?.cancel().catch(() => undefined);
    const location = response.headers.get("location");
    if (!location) throw new FetchFailure("http-error", "redirect without Location", response.status);
    if (hop >= context.maxRedirects) throw new FetchFailure("too-many-redirects", `more than ${context.maxRedirects} redirects`, response.status);
    url = nextHop(location, url, context.policy, response.status);
  }
}

/** The validators a response carries, for the next conditional request. */
function validatorsOf(response: Response): { etag?: string; lastModified?: string } {
  const etag = response.headers.get("etag")?.trim();
  const lastModified = response.headers.get("last-modified")?.trim();
  return { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
}

async function notModified(response: Response, conditional: ConditionalRequest | undefined): Promise<void> {
  if (response.status !== 304) return;
  await response.body?.cancel().catch(() => undefined);
  if (conditional) throw new FetchFailure("not-modified", "unchanged since the last fetch (304)", 304);
  throw new FetchFailure("http-error", "HTTP 304 to an unconditional request", 304);
}

/** Fetches, gates and decodes one page; throws FetchFailure for every expected failure. */
async function readPage(context: FetcherContext, start: URL, signal: AbortSignal, conditional?: ConditionalRequest): Promise<FetchOutcome> {
  const { response, url } = await followRedirects(context, start, signal, conditional);
  await notModified(response, conditional);
  const declared = mediaType(response.headers.get("content-type"));
  if (!mayBeReadable(declared) && response.status < 400) {
    await response.body?.cancel().catch(() => undefined);
    throw new FetchFailure("unsupported-type", `content-type ${declared}`, response.status);
  }
  const { bytes, truncated } = await readCappedBody(response, context.maxBytes);
  const decoded = decodeHtmlBytes(bytes, response.headers.get("content-type"));
  if (isBotChallenge(response.headers, response.status, decoded.text))
    throw new FetchFailure("bot-challenge", "bot-protection challenge page", response.status);
  if (response.status >= 400) throw new FetchFailure("http-error", `HTTP ${response.status}`, response.status);
  const kind = classifyContent(declared, bytes);
  if (kind === "pdf") throw new FetchFailure("pdf", "PDF document (not extracted)", response.status);
  if (kind === undefined || kind === "binary")
    throw new FetchFailure("unsupported-type", `content-type ${declared || "missing"} with non-text body`, response.status);
  if (kind === "html" && isPaywallStub(decoded.text)) throw new FetchFailure("paywall", "subscription wall with little readable text", response.status);
  return {
    ok: true,
    url: start.href,
    finalUrl: url.href,
    status: response.status,
    contentType: kind === "html" ? "text/html" : declared || "text/plain",
    body: decoded.text,
    truncated,
    charset: decoded.charset,
    ...validatorsOf(response),
  };
}

/** Fetches raw bytes (a sitemap, gzip or not) through the same hops; HTTP errors still fail. */
async function readBytes(context: FetcherContext, start: URL, signal: AbortSignal, conditional?: ConditionalRequest, maxBytes?: number): Promise<BytesOutcome> {
  const { response, url } = await followRedirects(context, start, signal, conditional);
  await notModified(response, conditional);
  if (response.status >= 400) {
    await response.body?.cancel().catch(() => undefined);
    throw new FetchFailure("http-error", `HTTP ${response.status}`, response.status);
  }
  const { bytes, truncated } = await readCappedBody(response, maxBytes ?? context.maxBytes);
  return {
    ok: true,
    url: start.href,
    finalUrl: url.href,
    status: response.status,
    contentType: mediaType(response.headers.get("content-type")),
    bytes,
    truncated,
    ...validatorsOf(response),
  };
}

function conditionalHeaders(conditional: ConditionalRequest | undefined): Record<string, string> {
  if (!conditional) return {};
  return {
    ...(conditional.etag ? { "if-none-match": conditional.etag } : {}),
    ...(conditional.lastModified ? { "if-modified-since": conditional.lastModified } : {}),
  };
}

export function createPageFetcher(options: PageFetcherOptions): PageFetcher {
  return createGuardedFetcher(options).fetchPage;
}

/** The page fetcher and the bytes fetcher over one request path: one policy, one limiter, one robots cache. */
export function createGuardedFetcher(options: PageFetcherOptions): GuardedFetcher {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRedirects = options.maxRedirects ?? 5;
  const now = options.now ?? Date.now;
  const limiter = createLimiter(options.concurrency ?? 6);
  // Called unbound: workerd throws "Illegal invocation" when its fetch runs with another `this`.
  const fetchImpl = options.fetch;
  const policy: OutboundUrlPolicy = { allowPrivateAddresses: options.allowPrivateAddresses ?? false, allowHosts: options.allowHosts ?? [] };
  const headers = { "user-agent": options.userAgent ?? DEFAULT_USER_AGENT, accept: "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5" };
  const request = (url: URL, signal: AbortSignal, conditional?: ConditionalRequest): Promise<Response> =>
    limiter.run(async () => {
      if (signal.aborted) throw signal.reason;
      return fetchImpl(url.href, { method: "GET", headers: { ...headers, ...conditionalHeaders(conditional) }, redirect: "manual", signal });
    });
  const robots =
    options.robots === false
      ? undefined
      : typeof options.robots === "object"
        ? options.robots
        : createRobotsPolicy({ request, policy, token: options.robotsToken ?? DEFAULT_ROBOTS_TOKEN, maxRedirects });
  const context: FetcherContext = { request, robots, policy, maxRedirects, maxBytes: options.maxBytes ?? 2 * 1024 * 1024 };

  /** Runs one guarded fetch within the page budget and the deadline; every failure becomes a value. */
  async function guarded<Outcome>(
    rawUrl: string,
    callerSignal: AbortSignal | undefined,
    work: (url: URL, signal: AbortSignal) => Promise<Outcome>,
  ): Promise<Outcome | Failure> {
    const fail = (reason: FailureReason, detail: string, status?: number): Failure => ({
      ok: false,
      url: rawUrl,
      reason,
      detail,
      ...(status === undefined ? {} : { status }),
    });
    const verdict = checkOutboundUrl(rawUrl, policy);
    if (!verdict.ok) return fail(verdict.reason, verdict.detail);
    if (callerSignal?.aborted) return fail("network", "aborted by caller");
    const remaining = options.deadline === undefined ? Infinity : options.deadline - now();
    if (remaining <= 0) return fail("deadline", "overall deadline already passed");
    const budget = Math.min(timeoutMs, remaining);
    const limitedBy: FailureReason = budget < timeoutMs ? "deadline" : "timeout";
    const controller = new AbortController();
    const onCallerAbort = (): void => controller.abort(callerSignal?.reason);
    callerSignal?.addEventListener("abort", onCallerAbort, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The race (not only the abort) bounds the time: a request queued behind the limiter or a body
    // that ignores the abort still cannot hold the caller past the budget.
    const expired = new Promise<Failure>((resolve) => {
      timer = setTimeout(() => {
        resolve(fail(limitedBy, `no complete response within ${budget} ms`));
        controller.abort(new FetchFailure(limitedBy, "time budget spent"));
      }, budget);
    });
    const done = work(verdict.url, controller.signal).catch((error: unknown): Failure => {
      if (error instanceof FetchFailure) return fail(error.reason, error.detail, error.status);
      if (callerSignal?.aborted) return fail("network", "aborted by caller");
      if (controller.signal.aborted) return fail(limitedBy, `no complete response within ${budget} ms`);
      return fail("network", error instanceof Error ? error.message : "request failed");
    });
    try {
      return await Promise.race([done, expired]);
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener("abort", onCallerAbort);
    }
  }

  return {
    fetchPage: (rawUrl, signal, requestOptions) => guarded(rawUrl, signal, (url, inner) => readPage(context, url, inner, requestOptions?.conditional)),
    fetchBytes: (rawUrl, signal, requestOptions) =>
      guarded(rawUrl, signal, (url, inner) => readBytes(context, url, inner, requestOptions?.conditional, requestOptions?.maxBytes)),
  };
}
