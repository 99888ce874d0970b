/**
 * CORS for browser callers: only origins listed in CORS_ORIGINS or in a site
 * key's `origins` get access-control-allow-origin. Preflights are answered
 * here, before authentication, since browsers send them without credentials.
 * The request headers a preflight asks for are allowed as asked (the official
 * `openai` SDK sends `x-stainless-*` headers, others their own): what guards
 * the API is the origin check and the credentials, not header names.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { ApiEnv } from "../api-context";

export function apiCors(): MiddlewareHandler<ApiEnv> {
  return cors({
    origin: (origin, c) => (c.get("config").cors.origins.has(origin) ? origin : null),
    allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
    // Empty: hono reflects Access-Control-Request-Headers (with Vary).
    allowHeaders: [],
    exposeHeaders: ["x-session-id", "x-request-id", "retry-after"],
    maxAge: 600,
  });
}
