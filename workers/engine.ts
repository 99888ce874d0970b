/**
 * How the worker reaches the engine. One code path, two transports: the
 * optional ENGINE binding (a Durable Object namespace of a Cloudflare
 * Container class, or a service binding) or plain HTTP to ENGINE_URL. Either
 * way the agent gets an OpenAI-style base URL and a `fetch`.
 */
import { createHttpModelClient, type ModelClient } from "../agent/model-client";
import type { WorkerConfig } from "./config";
import type { Env } from "./env";

/** Host name used for requests through a binding (the binding ignores it). */
const BINDING_ORIGIN = "http://engine.internal";
/** The container instance that serves requests; one engine per deployment. */
const ENGINE_INSTANCE = "engine";

/** What the transport needs of the ENGINE binding (a DO namespace or a service binding satisfies it). */
export type EngineBinding =
  | { idFromName(name: string): DurableObjectId; get(id: DurableObjectId): { fetch(request: Request): Promise<Response> } }
  | { fetch(request: Request): Promise<Response> };

export interface EngineTransport {
  origin: string;
  fetch: typeof fetch;
  via: "binding" | "url";
}

export function engineTransport(binding: EngineBinding | undefined, config: WorkerConfig): EngineTransport {
  if (binding && "idFromName" in binding) {
    const stub = binding.get(binding.idFromName(ENGINE_INSTANCE));
    return { origin: BINDING_ORIGIN, fetch: (input, init) => stub.fetch(new Request(input, init)), via: "binding" };
  }
  if (binding) {
    return { origin: BINDING_ORIGIN, fetch: (input, init) => binding.fetch(new Request(input, init)), via: "binding" };
  }
  // Wrapped: workerd's fetch throws "Illegal invocation" when called as a method of another object.
  return { origin: config.engine.url, fetch: (input, init) => fetch(input, init), via: "url" };
}

export function createEngineClient(env: Env, config: WorkerConfig): ModelClient {
  const transport = engineTransport(env.ENGINE, config);
  return createHttpModelClient({
    baseUrl: `${transport.origin}/v1`,
    model: config.engine.model,
    fetch: transport.fetch,
    ...(config.engine.apiKey ? { apiKey: config.engine.apiKey } : {}),
    ...(config.engine.timeoutMs > 0 ? { timeoutMs: config.engine.timeoutMs } : {}),
  });
}
