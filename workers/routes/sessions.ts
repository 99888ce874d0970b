/** `GET /api/sessions/:id` (a conversation's history) and `DELETE /api/sessions/:id`. */
import { Hono } from "hono";
import type { ApiEnv } from "../api-context";
import { ApiError } from "../errors";
import { checkSessionId, sessionStub } from "../sessions/session-stub";

export const sessionRoutes = new Hono<ApiEnv>();

sessionRoutes.get("/api/sessions/:id", async (c) => {
  const id = checkSessionId(c.req.param("id"));
  const session = await sessionStub(c.env, c.get("principal"), id).history();
  if (!session.exists) throw new ApiError("session_not_found", "No session with this id.");
  return c.json({ id, active: session.active, messages: session.messages });
});

sessionRoutes.delete("/api/sessions/:id", async (c) => {
  const id = checkSessionId(c.req.param("id"));
  await sessionStub(c.env, c.get("principal"), id).clear();
  return c.body(null, 204);
});
