/**
 * Serves the local search corpus (`/corpus/<slug>.html`, `/corpus/index.json`)
 * from the static assets. The worker runs before the assets layer
 * (`run_worker_first`), so the pages the local provider cites must be routed
 * here to be readable by users following a citation.
 */
import { Hono } from "hono";
import type { Env } from "../env";
import { ApiError, errorResponse } from "../errors";

export const corpusRoutes = new Hono<{ Bindings: Env }>();

corpusRoutes.on(["GET", "HEAD"], "/corpus/*", async (c) => {
  const asset = await c.env.ASSETS.fetch(new Request(c.req.url, { method: c.req.method }));
  if (asset.status === 404) {
    return errorResponse(new ApiError("not_found", "No such corpus page."));
  }
  const response = new Response(asset.body, asset);
  response.headers.set("x-content-type-options", "nosniff");
  return response;
});
