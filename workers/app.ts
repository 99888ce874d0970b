/**
 * Assembles the hono app: health (with the engine's reachability), the chat API, the widget's routes,
 * the jobs API and the sites API. A request no route takes gets a JSON 404, or a 405 with `Allow` when its
 * path exists under another method (workers/no-route.ts).
 */
import { Hono } from "hono";
import { healthResponse } from "./engine-health";
import type { Env } from "./env";
import { widgetRoutes } from "./widget/routes";
import { jobsRoutes } from "./jobs/routes";
import { apiRoutes } from "./routes/api";
import { corpusRoutes } from "./routes/corpus";
import { noRoute, routeMethods } from "./no-route";
import { sitesRoutes } from "./sites/routes";

export function createApp() {
  const app = new Hono<{ Bindings: Env }>();
  app.get("/health", healthResponse);
  app.route("/", apiRoutes);
  app.route("/", corpusRoutes);
  app.route("/", widgetRoutes);
  app.route("/", jobsRoutes);
  app.route("/", sitesRoutes);
  app.notFound(noRoute(routeMethods(app)));
  return app;
}
