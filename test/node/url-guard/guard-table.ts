/**
 * The outbound-URL guard's test table, shared by both copies of the guard (search/url-guard/ and the
 * engine's container/url-guard/) and by the fetchers' redirect tests. It holds every spelling from the
 * SSRF battery of issue #14, and for each special-purpose range one address in every form that reaches
 * it: dotted, decimal, hex and octal IPv4, short forms, IPv4-mapped, -compatible and -translated IPv6,
 * NAT64, 6to4, and wildcard-DNS names (dotted, dashed, hex, sslip.io IPv6). `ALLOWED` holds the same
 * forms of public addresses, so a rule that refuses too much fails too.
 */

/** One address inside each IPv4 special range (the registry entries and multicast). */
export const SPECIAL_IPV4 = [
  "0.0.0.0",
  "0.1.2.3",
  "10.0.0.1",
  "10.255.255.254",
  "100.64.0.1",
  "100.127.255.254",
  "100.100.100.200",
  "127.0.0.1",
  "127.8.9.10",
  "169.254.169.254",
  "169.254.0.1",
  "172.16.0.1",
  "172.31.255.255",
  "192.0.0.8",
  "192.0.0.170",
  "192.0.2.1",
  "192.88.99.1",
  "192.168.1.1",
  "198.18.0.1",
  "198.19.255.254",
  "198.51.100.7",
  "203.0.113.9",
  "224.0.0.1",
  "239.255.255.250",
  "240.0.0.1",
  "255.255.255.255",
];

/** Public IPv4 addresses just outside the special ranges, and ordinary ones. */
export const PUBLIC_IPV4 = [
  "93.184.216.34",
  "8.8.8.8",
  "1.1.1.1",
  "11.0.0.1",
  "100.63.255.255",
  "100.128.0.1",
  "172.15.255.255",
  "172.32.0.1",
  "192.169.0.1",
  "223.255.255.254",
];

/** One address inside each IPv6 special range (registry entries, deprecated blocks, outside 2000::/3). */
export const SPECIAL_IPV6 = [
  "::",
  "::1",
  "::7f00:1",
  "::a00:1",
  "::808:808",
  "::ffff:7f00:1",
  "::ffff:a9fe:a9fe",
  "::ffff:0:7f00:1",
  "::ffff:0:808:808",
  "64:ff9b::7f00:1",
  "64:ff9b::a9fe:a9fe",
  "64:ff9b::a00:1",
  "64:ff9b:1::808:808",
  "100::1",
  "2001::1",
  "2001:0:4136:e378:8000:63bf:3fff:fdd2",
  "2001:2::1",
  "2001:db8::1",
  "2002:7f00:1::1",
  "2002:a9fe:a9fe::1",
  "2002:c0a8:101::1",
  "3fff::1",
  "5f00::1",
  "fc00::1",
  "fd12:3456:789a::1",
  "fe80::1",
  "fea0::1",
  "febf:ffff::1",
  "fec0::1",
  "feff::1",
  "ff02::1",
  "ff05::1:3",
  "1::1",
  "4000::1",
  "e000::1",
];

export const PUBLIC_IPV6 = ["2606:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001:80b::200e", "::ffff:808:808", "64:ff9b::808:808", "2002:808:808::1"];

function octets(address: string): number[] {
  return address.split(".").map(Number);
}

function toNumber(address: string): number {
  return octets(address).reduce((sum, octet) => sum * 256 + octet, 0);
}

function hexGroups(address: string): string {
  const [a = 0, b = 0, c = 0, d = 0] = octets(address);
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/** Every URL spelling of one IPv4 address that a URL parser or a DNS trick turns into it. */
export function ipv4Spellings(address: string): string[] {
  const [a = 0, b = 0, c = 0, d = 0] = octets(address);
  const n = toNumber(address);
  const hex8 = n.toString(16).padStart(8, "0");
  return [
    `http://${address}/`,
    `http://${address}./`,
    `http://${n}/`,
    `http://0x${n.toString(16)}/`,
    `http://0${n.toString(8)}/`,
    `http://0${a.toString(8)}.0${b.toString(8)}.0${c.toString(8)}.0${d.toString(8)}/`,
    `http://0x${a.toString(16)}.0x${b.toString(16)}.0x${c.toString(16)}.0x${d.toString(16)}/`,
    `http://${a}.${b * 65536 + c * 256 + d}/`,
    `http://${a}.${b}.${c * 256 + d}/`,
    `https://[::ffff:${address}]/`,
    `https://[::ffff:${hexGroups(address)}]/`,
    `https://[64:ff9b::${address}]/`,
    `https://[2002:${hexGroups(address)}::1]/`,
    `http://${address}.nip.io/`,
    `http://app.${address}.nip.io/`,
    `http://${a}-${b}-${c}-${d}.sslip.io/`,
    `http://app-${a}-${b}-${c}-${d}.nip.io/`,
    `http://${hex8}.nip.io/`,
    `http://app-${hex8}.nip.io/`,
    `http://${address}.xip.io/`,
    `http://${a}-${b}-${c}-${d}.traefik.me/`,
    `http://${address}.example.org/`,
    `http://ip-${a}-${b}-${c}-${d}.example.org/`,
  ];
}

/** URL spellings of one IPv6 address: the literal and sslip.io's dashed form. */
export function ipv6Spellings(address: string): string[] {
  return [`http://[${address}]/`, `https://[${address}]:8443/x`, `http://${address.replaceAll(":", "-")}.sslip.io/`];
}

/** The spellings of the battery that the old guards let through, and the names it lists. */
export const BATTERY = [
  "https://localhost./",
  "https://localhost../",
  "http://LOCALHOST:8080/",
  "http://localhost/",
  "http://app.localhost/",
  "https://[::127.0.0.1]/",
  "https://[fea0::1]/",
  "https://[64:ff9b::a9fe:a9fe]/",
  "https://[2002:a9fe:a9fe::1]/",
  "https://100.64.0.1/",
  "https://metadata/",
  "http://metadata.google.internal/computeMetadata/v1/",
  "http://instance-data/",
  "https://127.0.0.1.nip.io/",
  "https://router.lan/",
  "http://printer.local/",
  "http://nas.home.arpa/",
  "http://db.corp/",
  "http://intranet/",
  "http://7f000001.nip.io/",
  "http://app-0a000001.nip.io/",
  "http://--1.sslip.io/",
  "http://fe80--1.sslip.io/",
  "http://localtest.me/",
  "http://app.localtest.me/",
  "http://lvh.me/",
  "http://sub.vcap.me/",
  "http://nip.io.nip.io/",
  "http://anything.nip.io/",
  "http://[::ffff:0:0]/",
  "http://[::ffff:0:a9fe:a9fe]/",
  "http://[fec0::1]/",
  "http://[100::1]/",
  "http://[64:ff9b:1::a9fe:a9fe]/",
  "http://[::]/",
  "http://0/",
  "http://127.1/",
  "http://2130706433/",
  "http://0x7f000001/",
  "http://0177.0.0.1/",
  "http://１２７.０.０.１/",
  "http://%31%32%37.0.0.1/",
  "http://ⓛocalhost/",
  "http://a..b.example.org/",
  "http://service.test/",
  "http://x.internal./",
  "http:///x",
];

/** URLs that are not fetchable at all (scheme, credentials, not a URL). */
export const NOT_FETCHABLE = [
  "not a url",
  "https://[",
  "http://[",
  "http://a b/",
  "http://127.0.0.1:99999/",
  "",
  "file:///etc/passwd",
  "ftp://example.com/",
  "javascript:alert(1)",
  "data:text/html,x",
  "gopher://example.com/",
  "https://user:pass@example.com/",
  "https://user@example.com/",
  `https://example.com/${"a".repeat(9000)}`,
];

export const REFUSED_URLS: readonly string[] = [
  ...BATTERY,
  ...SPECIAL_IPV4.flatMap(ipv4Spellings),
  ...SPECIAL_IPV6.flatMap(ipv6Spellings),
  ...SPECIAL_IPV4.map((address) => `https://[::${hexGroups(address)}]/`),
  ...SPECIAL_IPV4.map((address) => `https://[::ffff:0:${hexGroups(address)}]/`),
];

export const ALLOWED_URLS: readonly string[] = [
  "https://example.com/",
  "https://example.com./",
  "https://www.example.org/path?q=1#f",
  "http://news.example.co.uk:8080/a",
  "https://xn--bcher-kva.example/".replace(".example", ".de"),
  "https://nip.io/",
  "https://www.sslip.io/",
  "https://8.8.8.8.example.org/",
  "https://10-years.example.com/",
  "https://v1-0-0-1.example.com/",
  "https://deadbeef.example.com/",
  ...PUBLIC_IPV4.flatMap(ipv4Spellings).filter((url) => !url.includes(".example.org")),
  ...PUBLIC_IPV6.map((address) => `http://[${address}]/`),
  "http://2606-4700--1111.sslip.io/",
];

/** Resolver answers (what a DNS lookup hands the socket) and whether they may be connected to. */
export const RESOLVED: readonly (readonly [string, boolean])[] = [
  ...SPECIAL_IPV4.map((address) => [address, false] as const),
  ...SPECIAL_IPV4.map((address) => [`::ffff:${address}`, false] as const),
  ...SPECIAL_IPV6.map((address) => [address, false] as const),
  ["fe80::1%eth0", false],
  ["not-an-address", false],
  ["", false],
  ...PUBLIC_IPV4.map((address) => [address, true] as const),
  ...PUBLIC_IPV6.map((address) => [address, true] as const),
];
