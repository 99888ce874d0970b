// Every route of the engine's HTTP API, fuzzed with client mistakes (test/support/fuzz-requests.ts): bodies that are
// not JSON, wrong types, out-of-range numbers, lone surrogates, huge inputs, deep nesting, hostile path parameters and
// headers. Each must be answered with a 4xx in the OpenAI error shape (or served); a 5xx is our bug, and so is a crash.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../../container/engine/create-engine";
import { type FuzzCase, type FuzzRoute, fuzzCases, isServerFault } from "../../support/fuzz-requests";
import { makeTestModel, testEngine } from "./support/test-engine";
import { startTestServer, type TestServer } from "./support/test-server";

const messages = [{ role: "user", content: "hello there" }];
const ROUTES: FuzzRoute[] = [
  { method: "POST", path: "/v1/chat/completions", body: { model: "megrez", messages, max_tokens: 2, temperature: 0, stop: ["zz"], stream: false } },
  { method: "POST", path: "/v1/completions", body: { model: "megrez", prompt: "hello", max_tokens: 2, temperature: 0 } },
  { method: "POST", path: "/tokenize", body: { model: "megrez", prompt: "hello" } },
  { method: "POST", path: "/tokenize", body: { messages, add_generation_prompt: true } },
  { method: "POST", path: "/detokenize", body: { model: "megrez", tokens: [1, 2, 3] } },
  { method: "GET", path: "/v1/models" },
  { method: "GET", path: "/v1/models/:id", params: { id: "megrez" } },
  { method: "GET", path: "/health" },
  { method: "GET", path: "/metrics" },
  { method: "GET", path: "/no/such/route" },
];

const model = makeTestModel(31);
let engine: Engine;
let server: TestServer;
beforeAll(async () => {
  // A short context bounds the generations that hostile-but-valid bodies start.
  engine = await testEngine(model, { maxBatch: 4, maxQueue: 64, maxModelLen: 128 });
  server = await startTestServer(engine);
});
afterAll(async () => {
  await server.close();
  await engine.release();
  model.cleanup();
});

async function send(fuzz: FuzzCase): Promise<{ status: number; body: string }> {
  const response = await fetch(`${server.url}${fuzz.path}`, {
    method: fuzz.method,
    headers: fuzz.headers,
    ...(fuzz.body === undefined ? {} : { body: fuzz.body }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = response.headers.get("content-type")?.includes("event-stream") ? "" : await response.text();
  await response.body?.cancel().catch(() => undefined);
  return { status: response.status, body };
}

describe("engine API under fuzzed client mistakes", () => {
  it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    "answers every bad request to %s with a 4xx, never a 5xx",
    async (_name, route) => {
      const faults: string[] = [];
      const cases = fuzzCases(route);
      for (const fuzz of cases) {
        const { status, body } = await send(fuzz).catch((error: unknown) => ({ status: 599, body: String(error) }));
        if (isServerFault(status)) faults.push(`${fuzz.name} → ${status} ${body.slice(0, 200)}`);
        else if (status >= 400 && !body.includes('"error"')) faults.push(`${fuzz.name} → ${status} without the error shape: ${body.slice(0, 200)}`);
      }
      expect(cases.length).toBeGreaterThan(route.body ? 50 : 0);
      expect(faults).toEqual([]);
      // Still serving after all of it.
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    },
  );
});
