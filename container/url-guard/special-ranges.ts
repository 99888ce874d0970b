/**
 * Which IP addresses an outbound request may reach: the IANA IPv4 and IPv6 Special-Purpose Address
 * Registries (RFC 6890 and its updates), plus multicast, the deprecated IPv6 site-local and
 * IPv4-compatible blocks, and everything outside IPv6 global unicast (2000::/3). An address is public
 * only when no entry below covers it. IPv6 forms that carry an IPv4 address (IPv4-mapped, NAT64
 * 64:ff9b::/96, 6to4 2002::/16) are judged by the IPv4 address they reach.
 *
 * Globally reachable registry entries (AS112, AMT, 192.0.0.9/10 anycast) are inside blocks refused
 * whole where that is simpler; no ordinary web page lives at them. Shared verbatim with the engine.
 */
import { embeddedIpv4, formatIpv4, formatIpv6, parseDottedQuad, parseIpv4, parseIpv6 } from "./ip-address";

export type AddressClass = { public: true; address: string } | { public: false; address: string; range: string };

interface Ipv4Range {
  base: number;
  bits: number;
  name: string;
}

/** IPv4 entries: the special-purpose registry (non-globally-reachable ones), multicast and broadcast. */
const IPV4_TABLE: readonly (readonly [string, number, string])[] = [
  ["0.0.0.0", 8, "this network (RFC 791)"],
  ["10.0.0.0", 8, "private use (RFC 1918)"],
  ["100.64.0.0", 10, "shared address space / CGNAT (RFC 6598)"],
  ["127.0.0.0", 8, "loopback (RFC 1122)"],
  ["169.254.0.0", 16, "link-local, cloud metadata (RFC 3927)"],
  ["172.16.0.0", 12, "private use (RFC 1918)"],
  ["192.0.0.0", 24, "IETF protocol assignments (RFC 6890)"],
  ["192.0.2.0", 24, "documentation TEST-NET-1 (RFC 5737)"],
  ["192.88.99.0", 24, "deprecated 6to4 relay anycast (RFC 7526)"],
  ["192.168.0.0", 16, "private use (RFC 1918)"],
  ["198.18.0.0", 15, "benchmarking (RFC 2544)"],
  ["198.51.100.0", 24, "documentation TEST-NET-2 (RFC 5737)"],
  ["203.0.113.0", 24, "documentation TEST-NET-3 (RFC 5737)"],
  ["224.0.0.0", 4, "multicast (RFC 5771)"],
  ["240.0.0.0", 4, "reserved (RFC 1112)"],
  ["255.255.255.255", 32, "limited broadcast (RFC 919)"],
];

const IPV4_RANGES: readonly Ipv4Range[] = IPV4_TABLE.map(([base, bits, name]) => ({ base: parseDottedQuad(base) ?? 0, bits, name }));

function inIpv4Range(address: number, range: Ipv4Range): boolean {
  const size = 2 ** (32 - range.bits);
  return Math.floor(address / size) === Math.floor(range.base / size);
}

/** The special range an IPv4 address lies in, as `base/bits name`; undefined when it is public. */
export function ipv4Range(address: number): string | undefined {
  const range = IPV4_RANGES.find((entry) => inIpv4Range(address, entry));
  return range ? `${formatIpv4(range.base)}/${range.bits} ${range.name}` : undefined;
}

interface Ipv6Range {
  groups: number[];
  bits: number;
  name: string;
  /** Where the IPv4 address it reaches sits (group index), for translation prefixes judged by that address. */
  embedsIpv4At?: number;
}

/** IPv6 entries, most specific first: the first match decides. */
const IPV6_TABLE: readonly (readonly [string, number, string, number?])[] = [
  ["::", 128, "unspecified (RFC 4291)"],
  ["::1", 128, "loopback (RFC 4291)"],
  ["::ffff:0:0", 96, "IPv4-mapped (RFC 4291)", 6],
  ["::ffff:0:0:0", 96, "IPv4-translated (RFC 2765)"],
  ["::", 96, "IPv4-compatible, deprecated (RFC 4291)"],
  ["64:ff9b::", 96, "NAT64 well-known prefix (RFC 6052)", 6],
  ["64:ff9b:1::", 48, "NAT64 local-use prefix (RFC 8215)"],
  ["100::", 64, "discard-only (RFC 6666)"],
  ["2001:db8::", 32, "documentation (RFC 3849)"],
  ["2001::", 23, "IETF protocol assignments, Teredo, benchmarking (RFC 2928)"],
  ["2002::", 16, "6to4 (RFC 3056)", 1],
  ["3fff::", 20, "documentation (RFC 9637)"],
  ["5f00::", 16, "SRv6 SIDs (RFC 9602)"],
  ["fc00::", 7, "unique local (RFC 4193)"],
  ["fe80::", 10, "link-local (RFC 4291)"],
  ["fec0::", 10, "site-local, deprecated (RFC 3879)"],
  ["ff00::", 8, "multicast (RFC 4291)"],
];

const IPV6_RANGES: readonly Ipv6Range[] = IPV6_TABLE.map(([base, bits, name, embedsIpv4At]) => ({
  groups: parseIpv6(base) ?? [],
  bits,
  name,
  ...(embedsIpv4At === undefined ? {} : { embedsIpv4At }),
}));

function inIpv6Range(groups: readonly number[], range: Ipv6Range): boolean {
  for (let index = 0; index < 8; index++) {
    const bits = Math.min(16, Math.max(0, range.bits - index * 16));
    if (bits === 0) return true;
    const mask = (0xffff << (16 - bits)) & 0xffff;
    if (((groups[index] ?? 0) & mask) !== ((range.groups[index] ?? 0) & mask)) return false;
  }
  return true;
}

/** The special range an IPv6 address lies in (or the IPv4 range it reaches); undefined when it is public. */
export function ipv6Range(groups: readonly number[]): string | undefined {
  for (const range of IPV6_RANGES) {
    if (!inIpv6Range(groups, range)) continue;
    const label = `${formatIpv6(range.groups)}/${range.bits} ${range.name}`;
    if (range.embedsIpv4At === undefined) return label;
    const inner = embeddedIpv4(groups, range.embedsIpv4At);
    const innerRange = ipv4Range(inner);
    return innerRange === undefined ? undefined : `${label} of ${formatIpv4(inner)}: ${innerRange}`;
  }
  // Only 2000::/3 is allocated as global unicast; the rest of the space is reserved by the IETF.
  return (groups[0] ?? 0) >> 13 === 1 ? undefined : "outside 2000::/3 global unicast (RFC 4291)";
}

/**
 * Classifies one address as written by a resolver or a URL (`93.184.216.34`, `2606:4700::1111`,
 * `[::1]`, `::ffff:10.0.0.1`). Text that is no address at all is refused, never guessed at.
 */
export function classifyAddress(text: string): AddressClass {
  const v4 = parseIpv4(text);
  if (v4 !== undefined && !text.includes(":")) {
    const range = ipv4Range(v4);
    return range === undefined ? { public: true, address: formatIpv4(v4) } : { public: false, address: formatIpv4(v4), range };
  }
  const v6 = parseIpv6(text);
  if (v6 === undefined) return { public: false, address: text, range: "not an IP address" };
  const range = ipv6Range(v6);
  return range === undefined ? { public: true, address: formatIpv6(v6) } : { public: false, address: formatIpv6(v6), range };
}
