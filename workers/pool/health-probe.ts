/**
 * The pool's active health check: GET /health on a replica, with a short timeout. Our engine
 * answers 200 with its load (container/server/health-report.ts) or 503 while it drains; any
 * other OpenAI-compatible server counts as ready when it answers at all below 500 (vLLM's
 * /health has no body; a server without the route answers 404, which still proves it is up).
 */
import { z } from "zod";
import type { LoadSnapshot, ProbeResult } from "./replica-health";
import type { Replica } from "./replica";

const count = z.number().int().nonnegative();

const healthSchema = z.object({
  queue_depth: count,
  running_sequences: count.optional(),
  batch_size: count.optional(),
  max_batch: count.optional(),
  kv_free_bytes: z.number().nonnegative().optional(),
  prefix_cache_bytes: z.number().nonnegative().optional(),
});

/** Load fields of a /health body, or null when it has none. */
export function loadFromHealth(body: unknown): LoadSnapshot | null {
  const parsed = healthSchema.safeParse(body);
  if (!parsed.success) return null;
  const h = parsed.data;
  return {
    queueDepth: h.queue_depth,
    running: h.running_sequences ?? h.batch_size ?? 0,
    maxBatch: h.max_batch ?? null,
    kvFreeBytes: h.kv_free_bytes ?? null,
    prefixCacheBytes: h.prefix_cache_bytes ?? null,
  };
}

/** Retry-After in milliseconds (seconds form only; absent or odd: `fallback`). */
export function retryAfterMs(response: Response, fallback: number): number {
  const seconds = Number(response.headers.get("retry-after"));
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 300) * 1000 : fallback;
}

export async function probeReplica(replica: Replica, timeoutMs: number): Promise<ProbeResult> {
  let response: Response;
  try {
    response = await replica.fetch("/health", { method: "GET", signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return { kind: "failed" };
  }
  if (response.status === 503 || response.status === 429) {
    await response.body?.cancel().catch(() => undefined);
    return { kind: "not-ready", retryAfterMs: retryAfterMs(response, 1000) };
  }
  if (response.status >= 500) {
    await response.body?.cancel().catch(() => undefined);
    return { kind: "failed" };
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    return { kind: "ready", load: null };
  }
  let body: unknown = null;
  try {
    body = JSON.parse(await response.text());
  } catch {
    // A 200 without JSON (vLLM): up, load unknown. A body cut short by a dying server is rare
    // enough here; the next request or probe tells.
  }
  return { kind: "ready", load: loadFromHealth(body) };
}
