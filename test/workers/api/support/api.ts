/**
 * Calls the worker's real fetch handler inside workerd with the real Durable
 * Object bindings, plus per-test variables (API keys, site keys, limits) and
 * a fake engine binding, then waits for work the handler left running.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../../../workers/index";
import type { Env } from "../../../../workers/env";

export const ORIGIN = "https://edge.test";

/** Worker variables for one test (strings) plus an optional fake ENGINE binding. */
export interface TestVars {
  ENGINE?: Fetcher;
  [name: string]: string | Fetcher | undefined;
}

export interface ApiCall {
  response: Response;
  /** Resolves when everything the handler passed to waitUntil has finished. */
  settled: Promise<void>;
}

export function testEnv(vars: TestVars = {}): Env {
  return { ...env, ...vars };
}

/** A random documentation-range address, so per-IP limits only bite in tests that set one. */
function randomIp(): string {
  const byte = () => Math.floor(Math.random() * 256);
  return `198.18.${byte()}.${byte()}`;
}

export async function call(path: string, init: RequestInit = {}, vars: TestVars = {}): Promise<ApiCall> {
  const ctx = createExecutionContext();
  const req = new Request(`${ORIGIN}${path}`, init);
  if (!req.headers.has("cf-connecting-ip")) req.headers.set("cf-connecting-ip", randomIp());
  const response = await worker.fetch(req, testEnv(vars), ctx);
  return { response, settled: waitOnExecutionContext(ctx) };
}

/** Calls and waits for background work (for requests whose body is read to the end). */
export async function request(path: string, init: RequestInit = {}, vars: TestVars = {}): Promise<Response> {
  const { response, settled } = await call(path, init, vars);
  const body = await response.arrayBuffer();
  await settled;
  return new Response(body, response);
}

export function postJson(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

export async function errorOf(response: Response): Promise<{ message: string; type: string; code: string }> {
  const json: { error: { message: string; type: string; code: string } } = await response.json();
  return json.error;
}
