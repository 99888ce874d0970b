/** `GET /v1/models` and `GET /v1/models/:id`: the one model this deployment serves, by its ENGINE_MODEL id. */
import { Hono } from "hono";
import type { ApiEnv } from "../api-context";
import { ApiError } from "../errors";

export const modelRoutes = new Hono<ApiEnv>();

const modelObject = (id: string) => ({ id, object: "model", created: 0, owned_by: "megrez-edge" });

modelRoutes.get("/v1/models", (c) => c.json({ object: "list", data: [modelObject(c.get("config").engine.model)] }));

modelRoutes.get("/v1/models/:id", (c) => {
  const id = c.req.param("id");
  if (id !== c.get("config").engine.model) throw new ApiError("model_not_found", `The model \`${id}\` does not exist.`);
  return c.json(modelObject(id));
});
