/**
 * Per-key and per-IP rate limits as a Durable Object: one instance per bucket
 * name (`key:<id>` or `ip:<address>`), holding a token bucket in memory. The
 * Workers rate-limiting binding cannot take a per-site limit or say when to
 * retry, hence a DO. Losing the bucket on eviction only forgives a little.
 */
import { DurableObject } from "cloudflare:workers";

export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until one request is allowed again (0 when allowed). */
  retryAfterSeconds: number;
  remaining: number;
}

/** Pure token bucket, refilled continuously so that `limit` requests fit in any minute. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private limit: number,
    now: number,
  ) {
    this.tokens = limit;
    this.last = now;
  }

  take(limit: number, now: number): RateDecision {
    if (limit !== this.limit) {
      this.tokens = Math.min(this.tokens, limit);
      this.limit = limit;
    }
    const perMs = limit / 60_000;
    this.tokens = Math.min(limit, this.tokens + Math.max(0, now - this.last) * perMs);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0, remaining: Math.floor(this.tokens) };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / perMs / 1000)), remaining: 0 };
  }
}

export class RateLimiter extends DurableObject {
  private bucket: TokenBucket | undefined;

  /** Takes one request from this bucket at `limitPerMinute`. */
  take(limitPerMinute: number): RateDecision {
    const now = Date.now();
    this.bucket ??= new TokenBucket(limitPerMinute, now);
    return this.bucket.take(limitPerMinute, now);
  }
}
