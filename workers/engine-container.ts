/**
 * MegrezEngine: the engine as a Cloudflare Container (wrangler.toml, environment
 * `containers`). Each instance is a Durable Object that runs container/Dockerfile's image and
 * proxies HTTP to its port 8080; the worker reaches the instances through the engine pool
 * (workers/engine.ts: ENGINE binding, ENGINE_INSTANCES instances). Cloudflare Containers have
 * no GPUs: this is the CPU engine, for small models (docs/engine.md).
 *
 * A cold instance loads its model before it listens, which takes longer than a request should
 * wait. So a request that finds its instance not running starts it in the background and is
 * answered at once with `503 engine_starting` + Retry-After: the pool treats that as a refusal
 * before the first token and sends the request to another instance, and keeps probing this one
 * until its /health answers.
 */
import { Container } from "@cloudflare/containers";
import type { Env } from "./env";

/** The engine's port in the image (ENGINE_PORT). */
const ENGINE_PORT = 8080;
/** Most time a cold start may take to load the model and listen. */
const START_TIMEOUT_MS = 10 * 60_000;

export class MegrezEngine extends Container<Env> {
  override defaultPort = ENGINE_PORT;
  /** Idle instances stop after this; the pool's probes keep serving instances awake. */
  override sleepAfter = "15m";
  override envVars = {
    ENGINE_HOST: "0.0.0.0",
    ENGINE_PORT: String(ENGINE_PORT),
    ENGINE_EP: "cpu",
    ENGINE_MODEL_DIR: "/models/megrez",
    // Container memory is small (12 GiB at most on standard-4): keep the prefix cache modest.
    ENGINE_PREFIX_CACHE_MB: "256",
  };

  override async fetch(request: Request): Promise<Response> {
    const state = await this.getState();
    if (state.status === "healthy") return this.containerFetch(request);
    this.ctx.waitUntil(
      this.startAndWaitForPorts({ ports: ENGINE_PORT, cancellationOptions: { portReadyTimeoutMS: START_TIMEOUT_MS } }).catch((error: unknown) => {
        console.error(
          JSON.stringify({ level: "error", message: "engine container failed to start", detail: error instanceof Error ? error.message : String(error) }),
        );
      }),
    );
    return Response.json(
      { error: { message: "the engine instance is starting; retry shortly", type: "server_error", param: null, code: "engine_starting" } },
      { status: 503, headers: { "retry-after": "5" } },
    );
  }
}
