/**
 * Scripted engine replicas for the pool's tests (test doubles: production reaches real
 * engines). Each one speaks just enough of the engine's HTTP API — a streamed chat answer,
 * /health with load — and can be told to fail in the ways a real replica fails: refuse the
 * connection, answer 5xx or 429/503, break its stream before or after the first token, or end
 * a stream without [DONE]. Every request is counted.
 */
import type { Replica } from "../../../../workers/pool/replica";

export type Behaviour =
  | "answer"
  | "refuse-connection"
  | "http-500"
  | "busy-429"
  | "draining-503"
  | "bad-request-400"
  | "break-before-first-token"
  | "break-mid-answer"
  | "end-without-done"
  | "error-frame-before-first-token";

export interface FakeReplica extends Replica {
  behaviour: Behaviour;
  /** /health: null = refuse the probe's connection. */
  health: { status: number; body: unknown } | null;
  /** Chat/completion requests received (probes not counted). */
  requests: number;
  /** The x-affinity-key header of each request. */
  affinityKeys: string[];
  probes: number;
  /** Words of the answer; each is one SSE chunk. */
  words: string[];
}

const encoder = new TextEncoder();
const frame = (data: unknown) => encoder.encode(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
const chunk = (content: string) => frame({ choices: [{ index: 0, delta: { content }, finish_reason: null }] });

function stream(parts: Uint8Array[], end: "done" | "error" | "close"): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const part = parts[index++];
      if (part) return controller.enqueue(part);
      if (end === "error") controller.error(new TypeError("network connection lost"));
      else controller.close();
    },
  });
}

export function fakeReplica(id: string, behaviour: Behaviour = "answer"): FakeReplica {
  const replica: FakeReplica = {
    id,
    behaviour,
    health: { status: 200, body: { ok: true, queue_depth: 0, running_sequences: 0, batch_size: 0, max_batch: 8, kv_free_bytes: 1000, prefix_cache_bytes: 0 } },
    requests: 0,
    affinityKeys: [],
    probes: 0,
    words: [`from ${id}:`, " one", " two", " three"],
    async fetch(path, init) {
      if (path === "/health") {
        replica.probes += 1;
        if (!replica.health) throw new TypeError("connection refused");
        return Response.json(replica.health.body, { status: replica.health.status });
      }
      replica.requests += 1;
      replica.affinityKeys.push(new Headers(init.headers).get("x-affinity-key") ?? "");
      if (init.signal?.aborted) throw init.signal.reason;
      const sse = { headers: { "content-type": "text/event-stream" } };
      const role = frame({ choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
      const words = replica.words.map(chunk);
      const finish = [frame({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }), frame("[DONE]")];
      switch (replica.behaviour) {
        case "refuse-connection":
          throw new TypeError("connection refused");
        case "http-500":
          return Response.json({ error: { message: "boom", type: "server_error", param: null, code: "internal_error" } }, { status: 500 });
        case "busy-429":
          return Response.json(
            { error: { message: "full", type: "rate_limit_error", param: null, code: "queue_full" } },
            { status: 429, headers: { "retry-after": "1" } },
          );
        case "draining-503":
          return Response.json({ error: { message: "draining", type: "server_error", param: null, code: "engine_draining" } }, { status: 503 });
        case "bad-request-400":
          return Response.json(
            { error: { message: "too long", type: "invalid_request_error", param: "messages", code: "context_length_exceeded" } },
            { status: 400 },
          );
        case "break-before-first-token":
          return new Response(stream([role], "error"), sse);
        case "break-mid-answer":
          return new Response(stream([role, ...words.slice(0, 2)], "error"), sse);
        case "end-without-done":
          return new Response(stream([role, ...words.slice(0, 2)], "close"), sse);
        case "error-frame-before-first-token":
          return new Response(
            stream([role, frame({ error: { message: "x", type: "server_error", param: null, code: "internal_error" } }), frame("[DONE]")], "done"),
            sse,
          );
        default:
          return new Response(stream([role, ...words, ...finish], "done"), sse);
      }
    },
  };
  return replica;
}
