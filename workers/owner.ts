/**
 * Who owns what a caller creates through the API (jobs, sites): the API key that created it, by its
 * key id (a hash prefix, never the key itself), or "open" when the API runs without keys. Site keys
 * are public and cannot own anything.
 */
import type { Principal } from "./api-context";
import { ApiError } from "./errors";

export function ownerOf(principal: Principal, what: "jobs" | "sites"): string {
  switch (principal.kind) {
    case "api-key":
      return `key:${principal.keyId}`;
    case "open":
      return "open";
    case "site-key":
      throw new ApiError("site_key_not_allowed", `Site keys cannot manage ${what}; use an API key.`);
  }
}
