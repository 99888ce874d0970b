/**
 * The worker's `GET /health`: the worker answers, and says whether the engine answers too. It probes
 * the engine's `/health` (our engine and vLLM both have one; a server without it is probed at
 * `/v1/models`) through the same transport the agent uses, with a short deadline, and reports
 * `200 {status: "ok"}` or `503 {status: "degraded"}` with the reason (never a secret or a body).
 */
import type { Context } from "hono";
import { configFromEnv } from "./config";
import { engineTransport } from "./engine";
import type { Env } from "./env";

/** How long the probe waits for the engine. */
export const ENGINE_PROBE_TIMEOUT_MS = 2_000;

export type EngineReachability = { reachable: true; via: "binding" | "url"; latencyMs: number } | { reachable: false; via: "binding" | "url"; reason: string };

async function probe(fetcher: typeof fetch, url: string, headers: HeadersInit): Promise<Response> {
  const response = await fetcher(url, { headers, signal: AbortSignal.timeout(ENGINE_PROBE_TIMEOUT_MS) });
  await response.body?.cancel().catch(() => undefined);
  return response;
}

export async function probeEngine(env: Env): Promise<EngineReachability | { reachable: false; via: "url"; reason: string }> {
  const config = configFromEnv(env);
  if (!config.ok) return { reachable: false, via: "url", reason: "the worker's configuration is invalid (see the logs)" };
  const transport = engineTransport(env.ENGINE, config.value);
  const headers: HeadersInit = config.value.engine.apiKey ? { authorization: `Bearer ${config.value.engine.apiKey}` } : {};
  const started = Date.now();
  try {
    let response = await probe(transport.fetch, `${transport.origin}/health`, headers);
    if (response.status === 404) response = await probe(transport.fetch, `${transport.origin}/v1/models`, headers);
    if (response.ok) return { reachable: true, via: transport.via, latencyMs: Date.now() - started };
    return { reachable: false, via: transport.via, reason: `the engine answered HTTP ${response.status}` };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return {
      reachable: false,
      via: transport.via,
      reason: timedOut ? `the engine did not answer within ${ENGINE_PROBE_TIMEOUT_MS} ms` : "the engine cannot be reached (connection failed)",
    };
  }
}

export async function healthResponse(c: Context<{ Bindings: Env }>): Promise<Response> {
  const engine = await probeEngine(c.env);
  const headers = { "cache-control": "no-store" };
  if (engine.reachable) return c.json({ ok: true, status: "ok", engine }, 200, headers);
  return c.json({ ok: false, status: "degraded", reason: `engine unreachable: ${engine.reason}`, engine }, 503, headers);
}
