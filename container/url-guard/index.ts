/**
 * The one outbound-URL guard: every URL the system fetches on someone else's say-so (search-result
 * pages and their redirects, robots.txt, Omni image/audio URLs, job webhooks, crawls) passes
 * `checkOutboundUrl` before the request and on every redirect hop. Where the runtime can see DNS
 * answers (Node), each resolved address passes `classifyAddress` again at connect time, so a name
 * whose answer changes between the check and the connection (DNS rebinding) still cannot reach a
 * private address (container/net/guarded-lookup.ts). Workers have no DNS API; Cloudflare's runtime
 * cannot reach private networks, and the name rules here refuse the known tricks.
 *
 * Rules, in order: an absolute URL (else `invalid-url`); http or https (`bad-scheme`); no user or
 * password (`credentials`); then the host: an IP literal in any spelling the URL parser accepts must be
 * public (special-ranges.ts), a name must pass the name rules (host-names.ts).
 *
 * Platform-free. The engine image holds only container/, so container/url-guard/ is a verbatim copy
 * of this folder (`npx tsx scripts/sync-url-guard.ts`; a test fails when the two differ), and one test
 * table drives both (test/node/url-guard/).
 *
 * @example
 *   const verdict = checkOutboundUrl(location, { allowHosts: ["127.0.0.1:8787"] });
 *   if (!verdict.ok) return refuse(verdict.reason, verdict.detail);
 *   await fetch(verdict.url, { redirect: "manual" });
 */
import { hostNameRule } from "./host-names";
import { parseIpv4 } from "./ip-address";
import { classifyAddress } from "./special-ranges";

export { classifyAddress, type AddressClass } from "./special-ranges";

/** Exceptions to the address rules; the default (`{}`) allows public addresses only. */
export interface OutboundUrlPolicy {
  /** Allow every private, loopback and internal target (local development only). */
  allowPrivateAddresses?: boolean;
  /** Hosts exempt from the address rules, as `host` or `host:port` (lower-case), e.g. a test server. */
  allowHosts?: readonly string[];
}

/** Why a URL is refused: `reason` is the coarse kind callers branch on, `rule` the precise one. */
export type OutboundUrlVerdict =
  | { ok: true; url: URL }
  | { ok: false; reason: "bad-scheme" | "blocked-address"; rule: "invalid-url" | "scheme" | "credentials" | "ip-range" | "host-name"; detail: string };

/** Most characters a URL may have; longer ones are refused before parsing. */
export const MAX_URL_LENGTH = 8192;

function refuse(reason: "bad-scheme" | "blocked-address", rule: Extract<OutboundUrlVerdict, { ok: false }>["rule"], detail: string): OutboundUrlVerdict {
  return { ok: false, reason, rule, detail };
}

/** True when `url`'s host is listed in the policy's exceptions (or every private target is allowed). */
export function isExempt(url: URL, policy: OutboundUrlPolicy): boolean {
  if (policy.allowPrivateAddresses) return true;
  const allowed = policy.allowHosts ?? [];
  return allowed.includes(url.hostname.toLowerCase()) || allowed.includes(url.host.toLowerCase());
}

/** Checks one URL (the first request or any redirect hop) against the rules; never throws. */
export function checkOutboundUrl(input: string | URL, policy: OutboundUrlPolicy = {}): OutboundUrlVerdict {
  const text = String(input);
  if (text.length > MAX_URL_LENGTH) return refuse("bad-scheme", "invalid-url", `URL longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse("bad-scheme", "invalid-url", "not a valid absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return refuse("bad-scheme", "scheme", `scheme ${url.protocol} is not fetched`);
  if (url.username || url.password) return refuse("bad-scheme", "credentials", "URLs with credentials are not fetched");
  if (isExempt(url, policy)) return { ok: true, url };
  const host = url.hostname.toLowerCase();
  if (host.startsWith("[") || parseIpv4(host) !== undefined) {
    const verdict = classifyAddress(host);
    return verdict.public ? { ok: true, url } : refuse("blocked-address", "ip-range", `address ${verdict.address} is in ${verdict.range}`);
  }
  const rule = hostNameRule(host);
  return rule === undefined ? { ok: true, url } : refuse("blocked-address", "host-name", `host ${host}: ${rule}`);
}
