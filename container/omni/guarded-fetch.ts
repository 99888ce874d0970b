/**
 * Fetches a media URL for a request without letting the request reach our own network: every hop passes
 * the outbound-URL guard (container/url-guard, the engine's copy of search/url-guard: http(s) only, no
 * credentials, no private address in any spelling), every resolved address must be public (checked in the
 * socket's DNS lookup, container/net/guarded-lookup.ts, so a rebinding name cannot swap in a private address
 * after the check), a few re-checked redirects, a byte cap enforced while streaming, and an overall deadline.
 * Every failure, an unusable redirect `Location` included, is an OmniInputError (a 400), never a throw
 * out of a socket callback.
 */
import http from "node:http";
import https from "node:https";
import { guardedLookup, type Resolver, systemResolver } from "../net/guarded-lookup";
import { checkOutboundUrl, type OutboundUrlPolicy } from "../url-guard";
import { OmniInputError } from "./omni-input-error";

export type FetchLimits = { maxBytes: number; timeoutMs: number; maxRedirects: number };

export const DEFAULT_FETCH_LIMITS: FetchLimits = { maxBytes: 20 * 1024 * 1024, timeoutMs: 10_000, maxRedirects: 3 };

export type GuardedFetchOptions = { policy?: OutboundUrlPolicy; limits?: FetchLimits; signal?: AbortSignal; resolve?: Resolver };

function refused(url: string, reason: string): OmniInputError {
  return new OmniInputError("media_fetch_failed", `Could not fetch ${url.slice(0, 300)}: ${reason}.`);
}

type Hop = { redirect: string } | { bytes: Uint8Array };

function fetchOnce(url: URL, policy: OutboundUrlPolicy, resolve: Resolver, limits: FetchLimits, signal: AbortSignal): Promise<Hop> {
  return new Promise((settle, reject) => {
    const client = url.protocol === "https:" ? https : http;
    const request = client.get(
      url,
      { lookup: guardedLookup(url, policy, resolve), signal, headers: { accept: "image/*, audio/*, */*;q=0.5", "user-agent": "megrez-edge-engine" } },
      (response) => {
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (status >= 300 && status < 400 && location) {
          response.resume();
          // A Location that is no URL must not throw here: this callback runs outside any request's try.
          if (!URL.canParse(location, url)) reject(refused(url.href, `HTTP ${status} redirect to an unusable Location`));
          else settle({ redirect: new URL(location, url).href });
          return;
        }
        if (status !== 200) {
          response.resume();
          reject(refused(url.href, `HTTP ${status}`));
          return;
        }
        const declared = Number(response.headers["content-length"] ?? "0");
        if (declared > limits.maxBytes) {
          response.destroy();
          reject(refused(url.href, `larger than ${limits.maxBytes} bytes`));
          return;
        }
        const chunks: Buffer[] = [];
        let total = 0;
        response.on("data", (chunk: Buffer) => {
          total += chunk.length;
          if (total > limits.maxBytes) {
            response.destroy();
            reject(refused(url.href, `larger than ${limits.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on("end", () => settle({ bytes: new Uint8Array(Buffer.concat(chunks)) }));
        response.on("error", (error) => reject(refused(url.href, error.message)));
      },
    );
    request.on("error", (error: NodeJS.ErrnoException) => {
      if (signal.aborted) reject(refused(url.href, `no answer within ${limits.timeoutMs} ms`));
      else reject(refused(url.href, error.code === "EADDRBLOCKED" ? `the host resolves to a private or reserved address (${error.message})` : error.message));
    });
  });
}

export async function guardedFetch(location: string, options: GuardedFetchOptions = {}): Promise<Uint8Array> {
  const policy = options.policy ?? {};
  const limits = options.limits ?? DEFAULT_FETCH_LIMITS;
  const resolve = options.resolve ?? systemResolver;
  const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(limits.timeoutMs)]) : AbortSignal.timeout(limits.timeoutMs);
  let current = location;
  for (let hop = 0; hop <= limits.maxRedirects; hop++) {
    const verdict = checkOutboundUrl(current, policy);
    if (!verdict.ok) {
      if (verdict.reason === "blocked-address") throw refused(current, `the address is private or reserved (${verdict.detail})`);
      throw refused(current, verdict.rule === "scheme" ? "only http and https URLs are fetched" : verdict.detail);
    }
    const outcome = await fetchOnce(verdict.url, policy, resolve, limits, signal);
    if ("bytes" in outcome) return outcome.bytes;
    current = outcome.redirect;
  }
  throw refused(location, `more than ${limits.maxRedirects} redirects`);
}
