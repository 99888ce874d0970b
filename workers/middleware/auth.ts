/**
 * Authentication of the API routes. Bearer API keys (API_KEYS) work
 * everywhere; public site keys (header x-site-key) only on the widget routes
 * and only from one of the key's origins. With API_KEYS unset the API is open
 * (local development): no credential is required, but a configured site key
 * that is sent is still bound to its origins.
 */
import type { MiddlewareHandler } from "hono";
import type { ApiEnv, Principal } from "../api-context";
import type { WorkerConfig } from "../config";
import { ApiError } from "../errors";

type AuthResult = { ok: true; principal: Principal } | { ok: false; error: ApiError };

const invalidKey = () => new ApiError("invalid_api_key", "Missing or invalid API key: send `Authorization: Bearer <key>`.");

async function keyId(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return [...new Uint8Array(digest).slice(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Decides who is calling; pure apart from hashing, so it is tested directly. */
export async function authenticate(
  config: WorkerConfig,
  headers: { authorization?: string; siteKey?: string; origin?: string },
  allowSiteKeys: boolean,
): Promise<AuthResult> {
  const { auth } = config;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? "")?.[1];
  if (!auth.open && bearer !== undefined) {
    return auth.apiKeys.has(bearer) ? { ok: true, principal: { kind: "api-key", keyId: await keyId(bearer) } } : { ok: false, error: invalidKey() };
  }
  const siteKey = headers.siteKey;
  const site = siteKey === undefined ? undefined : auth.siteKeys.get(siteKey);
  if (siteKey !== undefined && (site || !auth.open)) {
    if (!allowSiteKeys) {
      return { ok: false, error: new ApiError("site_key_not_allowed", "Site keys are accepted only on the widget endpoints; use an API key.") };
    }
    if (!site) return { ok: false, error: new ApiError("invalid_api_key", "Unknown site key.") };
    const origin = headers.origin;
    if (origin === undefined || !site.origins.includes(origin)) {
      return { ok: false, error: new ApiError("origin_not_allowed", "This site key is not allowed from this origin.") };
    }
    return {
      ok: true,
      principal: { kind: "site-key", key: siteKey, origin, rateLimitPerMinute: site.rateLimitPerMinute ?? config.rateLimit.perKeyPerMinute },
    };
  }
  if (auth.open) return { ok: true, principal: { kind: "open" } };
  return { ok: false, error: invalidKey() };
}

/**
 * The calling page's origin. Browsers omit `Origin` on same-origin GETs (the
 * widget on the worker's own demo page reloading its history), but they do send
 * `Sec-Fetch-Site: same-origin` there, and pages cannot set either header.
 */
function requestOrigin(c: { req: { url: string; header(name: string): string | undefined } }): string | undefined {
  const origin = c.req.header("origin");
  if (origin !== undefined) return origin;
  return c.req.header("sec-fetch-site") === "same-origin" ? new URL(c.req.url).origin : undefined;
}

export function requireAuth(options: { allowSiteKeys: boolean }): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const result = await authenticate(
      c.get("config"),
      { authorization: c.req.header("authorization"), siteKey: c.req.header("x-site-key"), origin: requestOrigin(c) },
      options.allowSiteKeys,
    );
    if (!result.ok) throw result.error;
    c.set("principal", result.principal);
    await next();
  };
}
