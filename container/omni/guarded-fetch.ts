/**
 * Fetches a media URL for a request without letting the request reach our own network: http(s) only, every resolved
 * address must be public (checked inside the socket's DNS lookup, so a rebinding name cannot swap in a private address
 * after the check), a few re-checked redirects, a byte cap enforced while streaming, and an overall deadline.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { BlockList, isIP } from "node:net";
import { OmniInputError } from "./omni-input-error";

export type FetchLimits = { maxBytes: number; timeoutMs: number; maxRedirects: number };

export const DEFAULT_FETCH_LIMITS: FetchLimits = { maxBytes: 20 * 1024 * 1024, timeoutMs: 10_000, maxRedirects: 3 };

/** Decides which resolved addresses may be contacted (tests widen it to loopback). */
export type AddressPolicy = (address: string, family: 4 | 6) => boolean;

const blocked = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  blocked.addSubnet(network, prefix, "ipv4");
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
  ["2001:db8::", 32],
] as const) {
  blocked.addSubnet(network, prefix, "ipv6");
}

export const publicAddressesOnly: AddressPolicy = (address, family) => {
  const mapped = family === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address) : null;
  if (mapped) return !blocked.check(mapped[1]!, "ipv4");
  return !blocked.check(address, family === 4 ? "ipv4" : "ipv6");
};

function refused(url: string, reason: string): OmniInputError {
  return new OmniInputError("media_fetch_failed", `Could not fetch ${url}: ${reason}.`);
}

function guardedLookup(policy: AddressPolicy): NonNullable<http.RequestOptions["lookup"]> {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, "", 4);
      const allowed = addresses.filter((entry) => policy(entry.address, entry.family === 6 ? 6 : 4));
      if (allowed.length === 0 || allowed.length !== addresses.length) {
        return callback(Object.assign(new Error("the host resolves to a private or reserved address"), { code: "EADDRBLOCKED" }), "", 4);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

function fetchOnce(url: URL, policy: AddressPolicy, limits: FetchLimits, signal: AbortSignal): Promise<{ redirect: string } | { bytes: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const literal = isIP(url.hostname.replace(/^\[|\]$/g, ""));
    if (literal !== 0 && !policy(url.hostname.replace(/^\[|\]$/g, ""), literal === 6 ? 6 : 4)) {
      reject(refused(url.href, "the address is private or reserved"));
      return;
    }
    const client = url.protocol === "https:" ? https : http;
    const request = client.get(
      url,
      { lookup: guardedLookup(policy), signal, headers: { accept: "image/*, audio/*, */*;q=0.5", "user-agent": "megrez-edge-engine" } },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400 && response.headers.location) {
          response.resume();
          resolve({ redirect: new URL(response.headers.location, url).href });
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
        response.on("end", () => resolve({ bytes: new Uint8Array(Buffer.concat(chunks)) }));
        response.on("error", (error) => reject(refused(url.href, error.message)));
      },
    );
    request.on("error", (error: NodeJS.ErrnoException) => {
      if (signal.aborted) reject(refused(url.href, `no answer within ${limits.timeoutMs} ms`));
      else reject(refused(url.href, error.code === "EADDRBLOCKED" ? "the host resolves to a private or reserved address" : error.message));
    });
  });
}

export async function guardedFetch(
  location: string,
  options: { policy?: AddressPolicy; limits?: FetchLimits; signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  const policy = options.policy ?? publicAddressesOnly;
  const limits = options.limits ?? DEFAULT_FETCH_LIMITS;
  const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(limits.timeoutMs)]) : AbortSignal.timeout(limits.timeoutMs);
  let current = location;
  for (let hop = 0; hop <= limits.maxRedirects; hop++) {
    const url = new URL(current);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw refused(current, "only http and https URLs are fetched");
    if (url.username || url.password) throw refused(url.origin, "URLs with credentials are not fetched");
    const outcome = await fetchOnce(url, policy, limits, signal);
    if ("bytes" in outcome) return outcome.bytes;
    current = outcome.redirect;
  }
  throw refused(location, `more than ${limits.maxRedirects} redirects`);
}
