/**
 * GET /v1/models, GET /health and GET /metrics (Prometheus text).
 */
import type { Hono } from "hono";
import type { ServerContext } from "../server-context.js";

export function registerServerInfo(app: Hono, context: ServerContext, startedAt: number): void {
  const { engine, modelName } = context;
  app.get("/v1/models", (c) =>
    c.json({
      object: "list",
      data: [{ id: modelName, object: "model", created: startedAt, owned_by: "megrez-edge", root: engine.folder.dir, max_model_len: engine.maxModelLen }],
    }),
  );
  app.get("/health", (c) =>
    c.json({
      ok: true,
      model: modelName,
      ep: engine.executionProvider,
      model_dir: engine.folder.dir,
      max_model_len: engine.maxModelLen,
      queue_depth: engine.scheduler.queueDepth,
      batch_size: engine.scheduler.batchSize,
    }),
  );
  app.get("/metrics", (c) => c.text(engine.metrics.toPrometheus({ model: modelName }), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" }));
}
