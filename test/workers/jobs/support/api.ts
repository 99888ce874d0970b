/**
 * Helpers for the jobs tests: calls the worker's app with API keys configured
 * (the shared test bindings leave the API open), creates jobs, fires the
 * scheduled handler and waits for runs to settle.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import { createApp } from "../../../../workers/app";
import worker from "../../../../workers/index";

export const KEY_A = "jobs-test-key-alpha";
export const KEY_B = "jobs-test-key-bravo";
const app = createApp();
// Rate limits are the API layer's concern (tested there); here they would only add flakiness.
const keyedEnv = { ...env, API_KEYS: `${KEY_A},${KEY_B}`, RATE_LIMIT_KEY_PER_MINUTE: "0" };

export function api(path: string, init: RequestInit & { key?: string | null; json?: unknown; vars?: Record<string, string> } = {}): Promise<Response> {
  const { key = KEY_A, json, vars = {}, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (key !== null) headers.set("authorization", `Bearer ${key}`);
  if (json !== undefined) headers.set("content-type", "application/json");
  // A random documentation-range address per call, so the per-IP limit never bites here.
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", `198.18.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`);
  const body = json !== undefined ? JSON.stringify(json) : rest.body;
  return Promise.resolve(app.request(`https://jobs.test${path}`, { ...rest, headers, ...(body !== undefined ? { body } : {}) }, { ...keyedEnv, ...vars }));
}

export interface JobJson {
  id: string;
  name: string;
  schedule: { cron: string; timezone: string; nextRuns: string[] };
  feedUrl: string;
  delivery: { store: boolean; webhook: { url: string; secretSet: boolean } | null };
  [key: string]: unknown;
}

export async function createJob(spec: Record<string, unknown>, key = KEY_A): Promise<JobJson> {
  const res = await api("/api/jobs", { method: "POST", json: spec, key });
  const body: unknown = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body as JobJson;
}

export async function fireScheduled(at: string | number): Promise<void> {
  const controller = createScheduledController({ scheduledTime: new Date(at), cron: "* * * * *" });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, env, ctx);
  await waitOnExecutionContext(ctx);
}

export interface RunJson {
  id: string;
  scheduledFor: string;
  status: string;
  attempts: number;
  error: { code: string; message: string } | null;
  [key: string]: unknown;
}

export async function listRuns(jobId: string): Promise<RunJson[]> {
  const res = await api(`/api/jobs/${jobId}/runs`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { runs: RunJson[] };
  return body.runs;
}

/** Polls until `check` passes (alarms run on their own in miniflare). */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const terminal = (status: string) => status === "succeeded" || status === "failed";
