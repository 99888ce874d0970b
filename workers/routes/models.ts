/** `GET /v1/models`: the one model this deployment serves, by its ENGINE_MODEL id. */
import { Hono } from "hono";
import type { ApiEnv } from "../api-context";

export const modelRoutes = new Hono<ApiEnv>();

modelRoutes.get("/v1/models", (c) =>
  c.json({ object: "list", data: [{ id: c.get("config").engine.model, object: "model", created: 0, owned_by: "megrez-edge" }] }),
);
