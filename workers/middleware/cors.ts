/**
 * CORS for browser callers: only origins listed in CORS_ORIGINS or in a site
 * key's `origins` get access-control-allow-origin. Preflights are answered
 * here, before authentication, since browsers send them without credentials.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { ApiEnv } from "../api-context";

export function apiCors(): MiddlewareHandler<ApiEnv> {
  return cors({
    origin: (origin, c) => (c.get("config").cors.origins.has(origin) ? origin : null),
    allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
    allowHeaders: ["authorization", "content-type", "x-site-key", "last-event-id", "x-request-id"],
    exposeHeaders: ["x-session-id", "x-request-id", "retry-after"],
    maxAge: 600,
  });
}
