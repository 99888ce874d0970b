/**
 * Engine server entry point: `npx tsx container/main.ts [--model DIR] [--port N] [--host H]`.
 * Prints one "engine listening on ..." line when ready; exits non-zero with a clear message
 * if the model folder is unusable or the port is taken. SIGTERM drains (server/drain.ts),
 * SIGINT stops at once. An error that escapes every request's handling is logged with its
 * request id and the engine keeps serving (container/last-resort.ts).
 */
import { createServer } from "node:net";
import { resolve } from "node:path";
import { serve } from "@hono/node-server";
import { z } from "zod";
import { parseEngineConfig } from "./engine-config";
import { createEngine } from "./engine/create-engine";
import { installLastResortHandlers } from "./last-resort";
import { omniEmbedderAllowing } from "./omni/omni-support";
import { createServerApp } from "./server/create-server-app";
import { drainEngine } from "./server/drain";

function fail(message: string): never {
  console.error(`engine: ${message}`);
  process.exit(1);
}

/** Fail fast on a taken port, before spending minutes loading a large model. */
function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") fail(`port ${port} on ${host} is already in use (set ENGINE_PORT or --port)`);
      fail(`cannot listen on ${host}:${port}: ${error.message}`);
    });
    probe.listen(port, host, () => probe.close(() => resolvePromise()));
  });
}

async function main(): Promise<void> {
  installLastResortHandlers({ log: (line) => console.error(line) });
  let config: ReturnType<typeof parseEngineConfig>;
  try {
    config = parseEngineConfig(process.env, process.argv.slice(2));
  } catch (error) {
    fail(
      `invalid configuration: ${error instanceof z.ZodError ? error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ") : error instanceof Error ? error.message : String(error)}`,
    );
  }
  await checkPortFree(config.ENGINE_HOST, config.ENGINE_PORT);
  const modelDir = resolve(config.ENGINE_MODEL_DIR);
  const engine = await createEngine({
    modelDir,
    executionProvider: config.ENGINE_EP,
    threads: config.ENGINE_THREADS,
    maxBatch: config.ENGINE_MAX_BATCH,
    maxQueue: config.ENGINE_MAX_QUEUE,
    requestTimeoutMs: config.ENGINE_REQUEST_TIMEOUT_MS,
    prefixCacheBytes: config.ENGINE_PREFIX_CACHE_MB * 2 ** 20,
    prefillChunkTokens: config.ENGINE_PREFILL_CHUNK,
    kvMemoryFraction: config.ENGINE_KV_MEMORY_FRACTION,
    kvMemoryBytes: config.ENGINE_KV_MEMORY_MB * 2 ** 20,
    ...(config.ENGINE_ORT_LIBRARY ? { ortLibrary: config.ENGINE_ORT_LIBRARY } : {}),
    log: (line) => console.error(line),
    mediaEmbedder: omniEmbedderAllowing(config.ENGINE_FETCH_ALLOW_HOSTS),
    ...(config.ENGINE_MAX_MODEL_LEN > 0 ? { maxModelLen: config.ENGINE_MAX_MODEL_LEN } : {}),
  });
  const app = createServerApp({ engine, modelName: config.ENGINE_MODEL_NAME });
  const server = serve({ fetch: app.fetch, hostname: config.ENGINE_HOST, port: config.ENGINE_PORT }, (info) => {
    if (engine.folder.isDemo) console.log("engine: serving the demo model (random weights): its words are noise by design");
    console.log(`engine listening on http://${config.ENGINE_HOST}:${info.port} (model ${config.ENGINE_MODEL_NAME}, ep ${engine.executionProvider})`);
  });
  server.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EADDRINUSE") fail(`port ${config.ENGINE_PORT} on ${config.ENGINE_HOST} is already in use (set ENGINE_PORT or --port)`);
    fail(`server error: ${error.message}`);
  });
  const shutdown = (signal: string): void => {
    console.log(`engine: ${signal}, shutting down`);
    server.close();
    void engine.release().finally(() => process.exit(0));
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  // SIGTERM (a rolling restart) drains first: server/drain.ts. A second SIGTERM stops at once.
  process.once("SIGTERM", () => {
    process.once("SIGTERM", () => shutdown("second SIGTERM"));
    void drainEngine(engine, config.ENGINE_DRAIN_TIMEOUT_MS, (line) => console.log(line)).then(() => shutdown("SIGTERM"));
  });
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
