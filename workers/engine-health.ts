/**
 * The worker's `GET /health`: the worker answers, and says whether the engine answers too. It probes
 * every replica of the engine pool (workers/engine.ts: container instances, a service binding, or
 * ENGINE_URL(S)) at `/health` (our engine and vLLM both have one; a server without it is probed at
 * `/v1/models`), in parallel, with a short deadline, and reports
 * - `200 {status: "ok"}` when every replica answers;
 * - `200 {status: "degraded"}` with the reason when some do not (the pool routes around them);
 * - `503 {status: "degraded"}` with the reason when none does.
 * Replicas are named by their place in the pool, never by address; no secret or upstream body is shown.
 */
import type { Context } from "hono";
import { configFromEnv } from "./config";
import { engineReplicas } from "./engine";
import type { Env } from "./env";
import type { Replica } from "./pool/replica";

/** How long the probe waits for each replica. */
export const ENGINE_PROBE_TIMEOUT_MS = 2_000;

type Via = "container" | "binding" | "url";

export type ReplicaReachability = { replica: number; reachable: true; latencyMs: number } | { replica: number; reachable: false; reason: string };

export interface EngineReachability {
  /** At least one replica answers. */
  reachable: boolean;
  via: Via;
  replicas: ReplicaReachability[];
  /** Why the engine (or some of its replicas) is not reachable. */
  reason?: string;
}

async function probe(replica: Replica, path: string, headers: HeadersInit): Promise<Response> {
  const response = await replica.fetch(path, { method: "GET", headers, signal: AbortSignal.timeout(ENGINE_PROBE_TIMEOUT_MS) });
  await response.body?.cancel().catch(() => undefined);
  return response;
}

async function probeReplica(replica: Replica, index: number, headers: HeadersInit): Promise<ReplicaReachability> {
  const started = Date.now();
  try {
    let response = await probe(replica, "/health", headers);
    if (response.status === 404) response = await probe(replica, "/v1/models", headers);
    if (response.ok) return { replica: index, reachable: true, latencyMs: Date.now() - started };
    const draining = response.status === 503 ? " (busy or draining)" : "";
    return { replica: index, reachable: false, reason: `the engine answered HTTP ${response.status}${draining}` };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return {
      replica: index,
      reachable: false,
      reason: timedOut ? `the engine did not answer within ${ENGINE_PROBE_TIMEOUT_MS} ms` : "the engine cannot be reached (connection failed)",
    };
  }
}

export async function probeEngine(env: Env): Promise<EngineReachability> {
  const config = configFromEnv(env);
  const binding = env.ENGINE_CONTAINER ?? env.ENGINE;
  const via: Via = binding ? ("idFromName" in binding ? "container" : "binding") : "url";
  if (!config.ok) return { reachable: false, via, replicas: [], reason: "the worker's configuration is invalid (see the logs)" };
  const headers: HeadersInit = config.value.engine.apiKey ? { authorization: `Bearer ${config.value.engine.apiKey}` } : {};
  const replicas = await Promise.all(engineReplicas(binding, config.value).map((replica, index) => probeReplica(replica, index, headers)));
  const down = replicas.filter((r): r is Extract<ReplicaReachability, { reachable: false }> => !r.reachable);
  const reachable = down.length < replicas.length;
  if (down.length === 0) return { reachable, via, replicas };
  const first = down[0]?.reason ?? "";
  const reason =
    replicas.length === 1
      ? first
      : `${down.length} of ${replicas.length} replicas unreachable (${down.map((r) => `replica ${r.replica}: ${r.reason}`).join("; ")})`;
  return { reachable, via, replicas, reason };
}

export async function healthResponse(c: Context<{ Bindings: Env }>): Promise<Response> {
  const engine = await probeEngine(c.env);
  const headers = { "cache-control": "no-store" };
  if (!engine.reason) return c.json({ ok: true, status: "ok", engine }, 200, headers);
  if (engine.reachable) return c.json({ ok: true, status: "degraded", reason: `engine partly unreachable: ${engine.reason}`, engine }, 200, headers);
  return c.json({ ok: false, status: "degraded", reason: `engine unreachable: ${engine.reason}`, engine }, 503, headers);
}
