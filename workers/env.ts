/**
 * The worker's bindings as wrangler.toml declares them. Parsed once per entry
 * into typed config (see workers/config.ts); nothing reads `env` ad hoc.
 */
import type { RateLimiter } from "./rate-limiter";
import type { ChatSession } from "./sessions/chat-session";
import type { JobRegistry } from "./jobs/registry";
import type { JobRunner } from "./jobs/runner";

export interface Env {
  ENGINE_URL: string;
  ENGINE_MODEL: string;
  SEARCH_PROVIDER: string;
  SEARCH_MODE: string;
  ASSETS: Fetcher;
  /** Chat sessions (Durable Object with SQLite storage), one per client session id. */
  SESSIONS: DurableObjectNamespace<ChatSession>;
  /** Token buckets for the per-key and per-IP rate limits. */
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /**
   * Optional: the engine as a binding instead of ENGINE_URL: a Durable Object
   * namespace of a Cloudflare Container class, or a service binding.
   */
  ENGINE?: DurableObjectNamespace | Fetcher;
  /** Scheduled digests: every job's spec and schedule cursor (one instance, SQLite). See docs/jobs.md. */
  JOB_REGISTRY: DurableObjectNamespace<JobRegistry>;
  /** Scheduled digests: one object per job holding its runs and webhook deliveries (SQLite, alarms). */
  JOB_RUNNER: DurableObjectNamespace<JobRunner>;
  /** Optional: webhook deliveries go through this service (an egress or allow-list proxy) instead of direct fetch. */
  JOBS_EGRESS?: Fetcher;
}
