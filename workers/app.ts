/**
 * Assembles the hono app: the chat API, the widget's routes and the jobs API.
 */
import { Hono } from "hono";
import type { Env } from "./env";
import { widgetRoutes } from "./widget/routes";
import { jobsRoutes } from "./jobs/routes";

export function createApp() {
  const app = new Hono<{ Bindings: Env }>();
  app.get("/health", (c) => c.json({ ok: true }));
  app.route("/", widgetRoutes);
  app.route("/", jobsRoutes);
  return app;
}
