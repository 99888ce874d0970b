/**
 * Host names an outbound request must not reach, judged from the name alone (no DNS):
 * - `localhost` and `*.localhost`, with any number of trailing dots (`localhost.`, `localhost..`);
 * - single-label names (`metadata`, `intranet`), which resolvers complete with intranet search domains;
 * - special-use and internal suffixes (`.local`, `.internal`, `.lan`, `.home.arpa`, `.corp`, `.test`, …);
 * - public domains that answer every name with a loopback address (`localtest.me`, `lvh.me`, …);
 * - wildcard-DNS names that spell an address: under nip.io, sslip.io, xip.io and traefik.me a name
 *   passes only when every address it spells (dotted `10.0.0.1`, dashed `10-0-0-1`, hex `0a000001`,
 *   sslip's dashed IPv6 `--1`, `fe80--1`) is public; under any other domain, four dotted or dashed
 *   decimal labels that spell a non-public IPv4 address (`10.0.0.1.example.org`) are refused.
 * Shared verbatim with the engine (container/url-guard/).
 */
import { parseIpv6 } from "./ip-address";
import { ipv4Range, ipv6Range } from "./special-ranges";

/** Suffixes from the Special-Use Domain Names registry and common private-network conventions. */
const INTERNAL_SUFFIXES = [
  "localhost",
  "local",
  "internal",
  "intranet",
  "lan",
  "home",
  "home.arpa",
  "arpa",
  "corp",
  "private",
  "localdomain",
  "test",
  "invalid",
  "example",
  "onion",
  "alt",
];

/** Public domains whose every name resolves to 127.0.0.1 (development conveniences). */
const LOOPBACK_DOMAINS = ["localtest.me", "lvh.me", "vcap.me", "lacolhost.com", "fuf.me", "localho.st"];

/** Wildcard-DNS services that answer a name with the address spelled inside it. */
const WILDCARD_IP_DOMAINS = ["nip.io", "sslip.io", "xip.io", "traefik.me"];

function underDomain(name: string, domain: string): boolean {
  return name === domain || name.endsWith(`.${domain}`);
}

/** IPv4 addresses spelled by four consecutive decimal tokens (`10.0.0.1`, `10-0-0-1`, `ip-10-0-0-1`). */
function decimalQuads(tokens: readonly string[]): number[] {
  const found: number[] = [];
  for (let start = 0; start + 4 <= tokens.length; start++) {
    const window = tokens.slice(start, start + 4);
    if (!window.every((token) => /^\d{1,3}$/.test(token) && Number(token) <= 255)) continue;
    found.push(window.reduce((sum, token) => sum * 256 + Number(token), 0));
  }
  return found;
}

/** Every address a wildcard-DNS name may stand for, with the verdict of each. */
function spelledAddresses(labels: readonly string[]): { ranges: (string | undefined)[]; count: number } {
  const ranges: (string | undefined)[] = [];
  for (const address of decimalQuads(labels.flatMap((label) => label.split("-")))) ranges.push(ipv4Range(address));
  for (const label of labels) {
    for (const token of label.split("-")) {
      if (/^[0-9a-f]{8}$/.test(token)) ranges.push(ipv4Range(Number.parseInt(token, 16)));
    }
    if (label.includes("-")) {
      const groups = parseIpv6(label.replaceAll("-", ":"));
      if (groups) ranges.push(ipv6Range(groups));
    }
  }
  return { ranges, count: ranges.length };
}

/** Why a (lower-case, non-IP) host name is refused; undefined when nothing in the name is private. */
export function hostNameRule(host: string): string | undefined {
  const name = host.replace(/\.+$/, "");
  if (name === "") return "an empty host name";
  const labels = name.split(".");
  if (labels.some((label) => label === "")) return "a host name with an empty label";
  const suffix = INTERNAL_SUFFIXES.find((entry) => underDomain(name, entry));
  if (suffix) return name === suffix ? `special-use name "${name}"` : `internal or special-use name under .${suffix}`;
  if (labels.length === 1) return `single-label name "${name}" (resolved through intranet search domains)`;
  const loopback = LOOPBACK_DOMAINS.find((domain) => underDomain(name, domain));
  if (loopback) return `${loopback} answers every name with a loopback address`;
  const wildcard = WILDCARD_IP_DOMAINS.find((domain) => underDomain(name, domain));
  if (wildcard) {
    if (name === wildcard || name === `www.${wildcard}`) return undefined;
    const inner = labels.slice(0, labels.length - wildcard.split(".").length);
    const { ranges, count } = spelledAddresses(inner);
    if (count === 0) return `wildcard-DNS name under ${wildcard} that spells no public address`;
    const blocked = ranges.find((range) => range !== undefined);
    return blocked === undefined ? undefined : `wildcard-DNS name under ${wildcard} spelling an address in ${blocked}`;
  }
  for (const address of decimalQuads(labels.flatMap((label) => label.split("-")))) {
    const range = ipv4Range(address);
    if (range !== undefined) return `host name spelling an address in ${range}`;
  }
  return undefined;
}
