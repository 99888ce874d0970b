import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../workers/config";
import { containerInstanceName, createEngineClient, engineReplicas } from "../../../workers/engine";
import type { Env } from "../../../workers/env";
import { createFakeEngine } from "./support/fake-engine";

function config(vars: Record<string, string> = {}) {
  const result = parseConfig(vars);
  if (!result.ok) throw result.error;
  return result.value;
}

const post = (body: unknown): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const routing = { key: "session:engine-test", waitUntil: () => {} };

describe("engine replicas", () => {
  it("is ENGINE_URL alone when neither ENGINE_URLS nor a binding is set", () => {
    expect(engineReplicas(undefined, config({ ENGINE_URL: "http://127.0.0.1:9999/v1" })).map((r) => r.id)).toEqual(["http://127.0.0.1:9999"]);
  });

  it("is every ENGINE_URLS entry (normalized, deduplicated), which take precedence over ENGINE_URL", () => {
    const vars = { ENGINE_URL: "http://127.0.0.1:9999", ENGINE_URLS: "http://10.0.0.1:8080/v1, http://10.0.0.2:8080/,http://10.0.0.1:8080" };
    expect(engineReplicas(undefined, config(vars)).map((r) => r.id)).toEqual(["http://10.0.0.1:8080", "http://10.0.0.2:8080"]);
  });

  it("refuses an ENGINE_URLS entry that is not a URL, naming the variable", () => {
    const result = parseConfig({ ENGINE_URLS: "http://10.0.0.1:8080,engine-two" });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain("ENGINE_URLS");
  });

  it("sends requests through a service binding when ENGINE is one", async () => {
    const engine = createFakeEngine();
    const replicas = engineReplicas(engine, config({ ENGINE_URL: "http://127.0.0.1:9999" }));
    expect(replicas.map((r) => r.id)).toEqual(["binding"]);
    const res = await replicas[0]?.fetch("/v1/completions", post({ prompt: ["a"] }));
    expect(res?.status).toBe(200);
    expect(engine.calls.map((c) => c.path)).toEqual(["/v1/completions"]);
  });

  it("makes ENGINE_INSTANCES container instances of a Durable Object namespace, and a key keeps its instance", async () => {
    const engines = new Map<string, ReturnType<typeof createFakeEngine>>();
    const namespace = {
      idFromName: (name: string) => env.SESSIONS.idFromName(name),
      get: (id: DurableObjectId) => {
        const name = [0, 1, 2].map(containerInstanceName).find((n) => env.SESSIONS.idFromName(n).equals(id)) ?? "?";
        const engine = engines.get(name) ?? createFakeEngine();
        engines.set(name, engine);
        return engine;
      },
    };
    const vars = { ENGINE_INSTANCES: "3", ENGINE_POOL_PROBE_MS: "0" };
    expect(engineReplicas(namespace, config(vars)).map((r) => r.id)).toEqual(["container:0", "container:1", "container:2"]);
    const testEnv = { ...env, ENGINE_CONTAINER: namespace } as unknown as Env;
    for (const key of ["session:a", "session:a", "session:b", "session:c", "session:d", "session:e"]) {
      await createEngineClient(testEnv, config(vars), { ...routing, key }).complete({ prompts: ["x"], maxTokens: 4, temperature: 0 });
    }
    expect([...engines.keys()].every((name) => ["engine", "engine-1", "engine-2"].includes(name))).toBe(true);
    const served = [...engines.values()].map((engine) => engine.calls.length);
    expect(served.reduce((a, b) => a + b, 0)).toBe(6);
    // "session:a" twice on one instance.
    expect(Math.max(...served)).toBeGreaterThanOrEqual(2);
  });
});
