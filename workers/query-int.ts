/**
 * A whole-number query parameter (`?limit=20`, `?logAfter=40`): absent or empty is the route's
 * default, a number above the route's maximum is that maximum (the docs give each "max"), and
 * anything else that is not a whole number of at least `min` is a 400 `invalid_query` naming
 * the parameter in `param`, rather than a silent default the caller never asked for.
 */
import { ApiError } from "./errors";

export interface QueryIntRange {
  fallback: number;
  min: number;
  max: number;
}

/**
 * @example
 *   queryInt(c.req.query("limit"), "limit", { fallback: 20, min: 1, max: 100 }); // "abc" → 400, "500" → 100
 */
export function queryInt(raw: string | undefined, name: string, range: QueryIntRange): number {
  if (raw === undefined || raw.trim() === "") return range.fallback;
  // Digits only: no sign, fraction, exponent or hex. A run of digits past any maximum is that maximum.
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isNaN(n) || n < range.min) {
    throw new ApiError(
      "invalid_query",
      `Invalid query parameter ${name}: expected a whole number of at least ${range.min}, got "${raw.slice(0, 40)}".`,
      {},
      name,
    );
  }
  return Math.min(n, range.max);
}
