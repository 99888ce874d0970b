/**
 * Maps a client's session id to its ChatSession Durable Object. The name is
 * scoped by credential so one site's widget cannot read another site's
 * conversations by guessing ids; API keys (and open mode) share one scope.
 * Stored `/v1/responses` answers live in the same Durable Object class under
 * names of their own, so no session id can reach one.
 */
import type { Principal } from "../api-context";
import type { Env } from "../env";
import { ApiError } from "../errors";

export const SESSION_ID = /^[A-Za-z0-9_-]{8,128}$/;

export function checkSessionId(id: string): string {
  if (!SESSION_ID.test(id)) throw new ApiError("invalid_session_id", "Session ids are 8-128 characters of A-Z, a-z, 0-9, `_` and `-`.");
  return id;
}

function scopeOf(principal: Principal): string {
  return principal.kind === "site-key" ? `site:${principal.key}` : "api";
}

/** The object holding a stored `/v1/responses` answer (`resp_…`). */
export function responseStub(env: Env, principal: Principal, responseId: string) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(`${scopeOf(principal)}:response:${responseId}`));
}

export function sessionStub(env: Env, principal: Principal, sessionId: string) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(`${scopeOf(principal)}:${sessionId}`));
}
