/**
 * Configuration of the jobs feature, parsed once per entry point (fetch,
 * scheduled, Durable Object constructor) from the worker's vars into a typed
 * object. Defaults suit production; tests shorten the retry delays through
 * bindings. Every variable is documented in docs/jobs.md.
 */
import { z } from "zod";

const int = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

const jobsConfigSchema = z.object({
  JOBS_MAX_PER_KEY: int(1, 10_000, 50),
  JOBS_MIN_INTERVAL_MINUTES: int(1, 1440, 15),
  JOBS_RUN_MAX_ATTEMPTS: int(1, 10, 3),
  JOBS_RUN_RETRY_BASE_MS: int(0, 3_600_000, 60_000),
  JOBS_RUN_TIMEOUT_MS: int(1_000, 900_000, 300_000),
  JOBS_WEBHOOK_MAX_ATTEMPTS: int(1, 20, 5),
  JOBS_WEBHOOK_RETRY_BASE_MS: int(0, 3_600_000, 30_000),
  JOBS_WEBHOOK_TIMEOUT_MS: int(100, 60_000, 10_000),
  JOBS_RUNS_KEPT: int(1, 10_000, 100),
});

export interface JobsConfig {
  maxJobsPerKey: number;
  minIntervalMinutes: number;
  runMaxAttempts: number;
  runRetryBaseMs: number;
  runTimeoutMs: number;
  webhookMaxAttempts: number;
  webhookRetryBaseMs: number;
  webhookTimeoutMs: number;
  runsKept: number;
}

/** Reads the `JOBS_*` vars (strings in wrangler.toml, numbers here). Throws on a bad value. */
export function parseJobsConfig(env: object): JobsConfig {
  const vars: Record<string, unknown> = Object.fromEntries(Object.entries(env));
  const parsed = jobsConfigSchema.safeParse({
    JOBS_MAX_PER_KEY: vars.JOBS_MAX_PER_KEY,
    JOBS_MIN_INTERVAL_MINUTES: vars.JOBS_MIN_INTERVAL_MINUTES,
    JOBS_RUN_MAX_ATTEMPTS: vars.JOBS_RUN_MAX_ATTEMPTS,
    JOBS_RUN_RETRY_BASE_MS: vars.JOBS_RUN_RETRY_BASE_MS,
    JOBS_RUN_TIMEOUT_MS: vars.JOBS_RUN_TIMEOUT_MS,
    JOBS_WEBHOOK_MAX_ATTEMPTS: vars.JOBS_WEBHOOK_MAX_ATTEMPTS,
    JOBS_WEBHOOK_RETRY_BASE_MS: vars.JOBS_WEBHOOK_RETRY_BASE_MS,
    JOBS_WEBHOOK_TIMEOUT_MS: vars.JOBS_WEBHOOK_TIMEOUT_MS,
    JOBS_RUNS_KEPT: vars.JOBS_RUNS_KEPT,
  });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid jobs configuration: ${issues}`);
  }
  const c = parsed.data;
  return {
    maxJobsPerKey: c.JOBS_MAX_PER_KEY,
    minIntervalMinutes: c.JOBS_MIN_INTERVAL_MINUTES,
    runMaxAttempts: c.JOBS_RUN_MAX_ATTEMPTS,
    runRetryBaseMs: c.JOBS_RUN_RETRY_BASE_MS,
    runTimeoutMs: c.JOBS_RUN_TIMEOUT_MS,
    webhookMaxAttempts: c.JOBS_WEBHOOK_MAX_ATTEMPTS,
    webhookRetryBaseMs: c.JOBS_WEBHOOK_RETRY_BASE_MS,
    webhookTimeoutMs: c.JOBS_WEBHOOK_TIMEOUT_MS,
    runsKept: c.JOBS_RUNS_KEPT,
  };
}

/** Exponential backoff: base, 2×base, 4×base… capped at one hour. */
export function backoffMs(baseMs: number, attempt: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 3_600_000);
}
