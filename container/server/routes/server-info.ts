/**
 * GET /v1/models (and /v1/models/{id}), GET /health (health-report.ts) and GET /metrics (Prometheus text).
 */
import type { Hono } from "hono";
import { healthReport } from "../health-report";
import { checkModel, type ServerContext } from "../server-context";

export function registerServerInfo(app: Hono, context: ServerContext, startedAt: number): void {
  const { engine, modelName } = context;
  const card = { id: modelName, object: "model", created: startedAt, owned_by: "megrez-edge", root: engine.folder.dir, max_model_len: engine.maxModelLen };
  app.get("/v1/models", (c) => c.json({ object: "list", data: [card] }));
  app.get("/v1/models/:id", (c) => {
    checkModel(context, c.req.param("id"));
    return c.json(card);
  });
  app.get("/health", (c) => {
    const report = healthReport(engine, modelName);
    const live = c.req.query("probe") === "liveness";
    return c.json(report, report.ok || live ? 200 : 503);
  });
  app.get("/metrics", (c) => c.text(engine.metrics.toPrometheus({ model: modelName }), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" }));
}
