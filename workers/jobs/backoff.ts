/** Retry spacing of job runs and webhook deliveries: exponential backoff. */

/** base, 2×base, 4×base… capped at one hour. */
export function backoffMs(baseMs: number, attempt: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 3_600_000);
}
