/**
 * The connect-time half of the outbound-URL guard, for Node sockets: a `lookup` hook for
 * http(s).request / net.connect that resolves the host and lets the socket connect only when every
 * address in the answer is public (container/url-guard's classifyAddress). The check and the
 * connection use the same answer, so a name whose DNS answer changes between the URL check and the
 * connection (DNS rebinding) cannot reach a private address. Hosts the policy exempts resolve as usual.
 *
 * @example
 *   http.get(url, { lookup: guardedLookup(url, {}) }, onResponse);
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import { classifyAddress, isExempt, type OutboundUrlPolicy } from "../url-guard";

/** What the hook resolves names with (dns.lookup with `all: true`); tests inject answers through it. */
export type Resolver = (hostname: string, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export const systemResolver: Resolver = (hostname, callback) => dnsLookup(hostname, { all: true }, callback);

/** The error a refused answer gives the socket (`code` EADDRBLOCKED, the refused address in the message). */
export class BlockedAddressError extends Error {
  readonly code = "EADDRBLOCKED";
  constructor(hostname: string, address: string, range: string) {
    super(`${hostname} resolves to ${address}, in ${range}`);
    this.name = "BlockedAddressError";
  }
}

/** A `lookup` for a request to `url`: every answered address must be public unless the host is exempt. */
export function guardedLookup(url: URL, policy: OutboundUrlPolicy, resolve: Resolver = systemResolver): LookupFunction {
  const exempt = isExempt(url, policy);
  return (hostname, options, callback) => {
    resolve(hostname, (error, answers) => {
      if (error) return callback(error, "", 4);
      const family = options.family === 4 || options.family === 6 ? options.family : 0;
      const wanted = answers.filter((entry) => family === 0 || entry.family === family);
      if (wanted.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 4);
      if (!exempt) {
        for (const entry of wanted) {
          const verdict = classifyAddress(entry.address);
          if (!verdict.public) return callback(new BlockedAddressError(hostname, verdict.address, verdict.range), "", 4);
        }
      }
      if (options.all) return callback(null, wanted);
      const first = wanted[0] as LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}
