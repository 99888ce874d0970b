/**
 * Decides whether a URL may be fetched at all: http/https only, and no private, loopback,
 * link-local, CGNAT or cloud-metadata targets, checked on the literal host of every hop.
 *
 * What is checked: IPv4 literals in any form the WHATWG URL parser normalizes (decimal, octal, hex
 * such as `http://2130706433/` become dotted quads), IPv6 literals including IPv4-mapped/-compatible
 * and NAT64 forms, `localhost` and `*.localhost`, `.local`/`.internal`/`.lan`/`.home.arpa` names,
 * single-label names (resolved through search domains to intranet hosts), and "IP inside a hostname"
 * wildcard-DNS names (`10.0.0.1.nip.io`, `127-0-0-1.sslip.io`).
 * What is NOT checked: a public-looking hostname whose DNS answer is private (DNS rebinding). Workers
 * expose no DNS API, so this cannot be verified before connecting; on Cloudflare the runtime itself
 * cannot reach private networks, and in Node a deployment should add an egress firewall or proxy.
 */

export type AddressVerdict = { ok: true; url: URL } | { ok: false; reason: "bad-scheme" | "blocked-address"; detail: string };

export interface AddressPolicy {
  /** Allow every private/loopback target (local development only). */
  allowPrivateAddresses?: boolean;
  /** Hosts (`host` or `host:port`, lower-case) allowed even though private, e.g. a test server. */
  allowHosts?: readonly string[];
}

function parseIpv4(host: string): number[] | undefined {
  const parts = host.split(".");
  if (parts.length !== 4) return undefined;
  const octets = parts.map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : Number.NaN));
  return octets.every((octet) => octet >= 0 && octet <= 255) ? octets : undefined;
}

/** Private, loopback, link-local (metadata 169.254.169.254), CGNAT, benchmarking, multicast, reserved. */
export function isPrivateIpv4(octets: readonly number[]): boolean {
  const [a = 0, b = 0, c = 0] = octets;
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    a >= 224 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113)
  );
}

function expandIpv6(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  const maybeV4 = parseIpv4(text.slice(lastColon + 1));
  if (maybeV4) {
    const [a = 0, b = 0, c = 0, d = 0] = maybeV4;
    tail = [(a << 8) | b, (c << 8) | d];
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined): number[] =>
    part
      ? part
          .split(":")
          .filter((group) => group !== "")
          .map((group) => Number.parseInt(group, 16))
      : [];
  const head = parse(halves[0]);
  const rest = parse(halves[1]);
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const groups = [...head, ...new Array<number>(Math.max(0, fill)).fill(0), ...rest];
  if (groups.length !== 8 || groups.some((group) => Number.isNaN(group) || group < 0 || group > 0xffff)) return undefined;
  if (tail.length === 2) groups.splice(6, 2, ...tail);
  return groups;
}

export function isPrivateIpv6(address: string): boolean {
  const groups = expandIpv6(address);
  if (!groups) return true;
  const [g0 = 0, g1 = 0, g2 = 0, , , g5 = 0, g6 = 0, g7 = 0] = groups;
  const allZeroPrefix = groups.slice(0, 5).every((group) => group === 0);
  const embedded = [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff];
  if (allZeroPrefix && (g5 === 0xffff || g5 === 0)) {
    // ::, ::1, IPv4-compatible and IPv4-mapped addresses: judge the embedded IPv4 address.
    if (g5 === 0 && g6 === 0 && g7 <= 1) return true;
    return isPrivateIpv4(embedded);
  }
  if (g0 === 0x64 && g1 === 0xff9b) return isPrivateIpv4(embedded);
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  if (g0 === 0x2001 && g1 === 0x0db8) return true; // documentation
  if (g0 === 0x2002) return isPrivateIpv4([g1 >> 8, g1 & 0xff, g2 >> 8, g2 & 0xff]); // 6to4 embeds IPv4 in groups 1-2
  return false;
}

const PRIVATE_SUFFIXES = [".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet", ".corp"];
const METADATA_NAMES = new Set(["localhost", "metadata", "metadata.google.internal", "instance-data", "instance-data.ec2.internal"]);

function isPrivateHostname(host: string): boolean {
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  if (METADATA_NAMES.has(name)) return true;
  if (PRIVATE_SUFFIXES.some((suffix) => name.endsWith(suffix))) return true;
  if (!name.includes(".")) return true;
  // Wildcard DNS services that answer with the IP spelled in the name.
  const embedded = /(?:^|[.-])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})(?=[.-])/.exec(name);
  if (embedded) {
    const octets = embedded.slice(1, 5).map(Number);
    if (octets.every((octet) => octet <= 255) && isPrivateIpv4(octets)) return true;
  }
  return false;
}

/** Checks one URL (the first request or any redirect hop) against the policy. */
export function checkAddress(input: string | URL, policy: AddressPolicy): AddressVerdict {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, reason: "bad-scheme", detail: "not a valid absolute URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { ok: false, reason: "bad-scheme", detail: `scheme ${url.protocol} is not fetched` };
  if (url.username || url.password) return { ok: false, reason: "bad-scheme", detail: "URLs with credentials are not fetched" };
  if (policy.allowPrivateAddresses) return { ok: true, url };
  const host = url.hostname.toLowerCase();
  const allowed = policy.allowHosts ?? [];
  if (allowed.includes(host) || allowed.includes(url.host.toLowerCase())) return { ok: true, url };
  if (host.startsWith("[")) {
    return isPrivateIpv6(host.slice(1, -1)) ? { ok: false, reason: "blocked-address", detail: `private IPv6 address ${host}` } : { ok: true, url };
  }
  const ipv4 = parseIpv4(host);
  if (ipv4) return isPrivateIpv4(ipv4) ? { ok: false, reason: "blocked-address", detail: `private IPv4 address ${host}` } : { ok: true, url };
  if (isPrivateHostname(host)) return { ok: false, reason: "blocked-address", detail: `private or local host name ${host}` };
  return { ok: true, url };
}
