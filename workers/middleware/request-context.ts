/**
 * First middleware of the API routes: assigns the request id (a sane incoming
 * x-request-id is kept so a caller can correlate), parses the configuration
 * once for the request, and logs one line per request (at LOG_LEVEL info). A bad configuration
 * answers 500 `config_invalid`, before authentication, so it says only that the service is
 * misconfigured: which variables are wrong goes to the log, never to the caller.
 */
import type { MiddlewareHandler } from "hono";
import type { ApiEnv, Principal } from "../api-context";
import { configFromEnv } from "../config";
import { errorResponse, misconfigured } from "../errors";
import { createLogger } from "../log";

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Who called, for the log: a key's hash prefix, a (public) site key, or open mode. */
function callerOf(principal: Principal | undefined): string | undefined {
  if (!principal) return undefined;
  if (principal.kind === "api-key") return `key:${principal.keyId}`;
  if (principal.kind === "site-key") return `site:${principal.key}`;
  return "open";
}

export function requestContext(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    const started = Date.now();
    const config = configFromEnv(c.env);
    // A broken configuration is always logged: LOG_LEVEL itself may be the broken value.
    const log = createLogger(requestId, config.ok ? config.value.logLevel : "info");
    c.set("requestId", requestId);
    c.set("log", log);
    if (!config.ok) {
      log.error("configuration invalid", { issues: config.error.issues });
      return errorResponse(misconfigured(), { "x-request-id": requestId });
    }
    c.set("config", config.value);
    await next();
    c.res.headers.set("x-request-id", requestId);
    const caller = callerOf(c.get("principal"));
    log.info("request", { method: c.req.method, path: c.req.path, status: c.res.status, ms: Date.now() - started, ...(caller ? { caller } : {}) });
  };
}
