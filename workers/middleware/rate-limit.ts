/**
 * Per-credential and per-IP rate limits through the RateLimiter Durable
 * Object. Both buckets are charged in parallel; over either limit answers 429
 * with Retry-After (the longer of the two waits).
 */
import type { MiddlewareHandler } from "hono";
import type { ApiEnv, Principal } from "../api-context";
import type { Env } from "../env";
import { ApiError } from "../errors";

function credentialBucket(principal: Principal, perKey: number): { name: string; limit: number } | undefined {
  switch (principal.kind) {
    case "api-key":
      return { name: `key:${principal.keyId}`, limit: perKey };
    case "site-key":
      return { name: `site:${principal.key}`, limit: principal.rateLimitPerMinute };
    case "open":
      return undefined;
  }
}

async function take(env: Env, name: string, limit: number) {
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));
  return stub.take(limit);
}

export function rateLimit(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const { rateLimit: limits } = c.get("config");
    const buckets: { name: string; limit: number }[] = [];
    const credential = credentialBucket(c.get("principal"), limits.perKeyPerMinute);
    if (credential && credential.limit > 0) buckets.push(credential);
    // cf-connecting-ip is set by Cloudflare's edge (a client cannot forge it there).
    const ip = c.req.header("cf-connecting-ip") ?? "unknown";
    if (limits.perIpPerMinute > 0) buckets.push({ name: `ip:${ip}`, limit: limits.perIpPerMinute });
    const decisions = await Promise.all(buckets.map((b) => take(c.env, b.name, b.limit)));
    const denied = decisions.filter((d) => !d.allowed);
    if (denied.length > 0) {
      const retryAfter = Math.max(...denied.map((d) => d.retryAfterSeconds));
      throw new ApiError("rate_limited", `Rate limit exceeded; retry in ${retryAfter} s.`, { "retry-after": String(retryAfter) });
    }
    await next();
  };
}
