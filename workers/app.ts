/**
 * Assembles the hono app: the chat API, the widget's routes and the jobs API.
 */
import { Hono } from "hono";
import type { Env } from "./env";
import { widgetRoutes } from "./widget/routes";
import { jobsRoutes } from "./jobs/routes";
import { apiRoutes } from "./routes/api";
import { corpusRoutes } from "./routes/corpus";

export function createApp() {
  const app = new Hono<{ Bindings: Env }>();
  app.get("/health", (c) => c.json({ ok: true }));
  app.route("/", apiRoutes);
  app.route("/", corpusRoutes);
  app.route("/", widgetRoutes);
  app.route("/", jobsRoutes);
  return app;
}
