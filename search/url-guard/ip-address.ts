/**
 * Text ↔ number forms of IP addresses for the outbound-URL guard: IPv4 as a 32-bit unsigned number
 * (parsed the way the WHATWG URL host parser does, so `2130706433`, `0x7f.1` and `0177.0.0.1` are the
 * address they mean), IPv6 as eight 16-bit groups (with an embedded dotted IPv4 tail and a zone id
 * allowed, as resolvers write them). Platform-free; shared verbatim with the engine (container/url-guard/).
 */

/** One WHATWG IPv4 number part: `0x`-hex, `0`-octal or decimal; undefined when it is not a number. */
function parseIpv4Part(part: string): number | undefined {
  if (part === "") return undefined;
  let digits = part;
  let radix = 10;
  if (/^0x/i.test(part)) {
    digits = part.slice(2);
    radix = 16;
    if (digits === "") return 0;
  } else if (part.length > 1 && part.startsWith("0")) {
    digits = part.slice(1);
    radix = 8;
  }
  const pattern = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!pattern.test(digits)) return undefined;
  const value = Number.parseInt(digits, radix);
  return Number.isSafeInteger(value) ? value : Number.POSITIVE_INFINITY;
}

/**
 * An IPv4 address in any spelling the URL parser accepts (1 to 4 parts, decimal, octal or hex, one
 * trailing dot), as an unsigned 32-bit number; undefined when `text` is not an IPv4 address.
 */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  if (parts.length === 0 || parts.length > 4) return undefined;
  const numbers = parts.map(parseIpv4Part);
  if (numbers.some((value) => value === undefined)) return undefined;
  const values = numbers as number[];
  const last = values[values.length - 1] ?? 0;
  if (values.slice(0, -1).some((value) => value > 255)) return undefined;
  if (last >= 256 ** (5 - values.length)) return undefined;
  let address = last;
  values.slice(0, -1).forEach((value, index) => {
    address += value * 256 ** (3 - index);
  });
  return address;
}

/** Only the canonical dotted-quad spelling (`10.0.0.1`), as resolvers answer. */
export function parseDottedQuad(text: string): number | undefined {
  if (!/^\d{1,3}(?:\.\d{1,3}){3}$/.test(text)) return undefined;
  const octets = text.split(".").map(Number);
  if (octets.some((octet) => octet > 255)) return undefined;
  return octets.reduce((sum, octet) => sum * 256 + octet, 0);
}

export function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join(".");
}

/** An IPv6 address (brackets, a zone id and a dotted IPv4 tail allowed) as eight 16-bit groups. */
export function parseIpv6(input: string): number[] | undefined {
  let text = input.toLowerCase();
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  if (!text.includes(":") || !/^[0-9a-f:.]+$/.test(text)) return undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    // A dotted IPv4 tail (`::ffff:10.0.0.1`) becomes the two groups it stands for.
    const v4 = parseDottedQuad(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string | undefined): number[] | undefined => {
    if (!part) return [];
    const pieces = part.split(":");
    if (pieces.some((piece) => !/^[0-9a-f]{1,4}$/.test(piece))) return undefined;
    return pieces.map((piece) => Number.parseInt(piece, 16));
  };
  const head = groupsOf(halves[0]);
  const rest = groupsOf(halves[1]);
  if (!head || !rest) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const fill = 8 - head.length - rest.length;
  if (fill < 1) return undefined;
  return [...head, ...new Array<number>(fill).fill(0), ...rest];
}

/** Compressed lower-case text of eight groups (RFC 5952 style, without the IPv4 tail form). */
export function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length++;
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** The 32-bit number held by groups `at` and `at + 1` (an IPv4 address embedded in IPv6). */
export function embeddedIpv4(groups: readonly number[], at: number): number {
  return (groups[at] ?? 0) * 65536 + (groups[at + 1] ?? 0);
}
