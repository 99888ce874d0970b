// The worker's GET /health inside workerd reports the engine's reachability: ok when the engine answers, a 503
// "degraded" with the reason when it is down, refuses the connection, or answers with an error; with a pool of
// replicas, "degraded" at 200 while some answer and 503 when none does.
import { SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { request } from "./api/support/api";
import { createFakeEngine } from "./api/support/fake-engine";
import { containerInstanceName } from "../../workers/engine";

/** A Durable Object namespace stand-in whose instances are fake engines, by instance name. */
function containerPool(health: Array<number | "down" | undefined>): Fetcher {
  const names = health.map((_, index) => containerInstanceName(index));
  const engines = names.map((_, index) => createFakeEngine(health[index] === undefined ? {} : { health: health[index] }));
  return {
    idFromName: (name: string) => env.SESSIONS.idFromName(name),
    get: (id: DurableObjectId) => engines[names.findIndex((name) => env.SESSIONS.idFromName(name).equals(id))],
  } as unknown as Fetcher;
}

describe("worker GET /health", () => {
  it("is ok when the engine answers", async () => {
    const res = await request("/health", {}, { ENGINE: createFakeEngine() });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toMatchObject({ ok: true, status: "ok", engine: { reachable: true, via: "binding" } });
  });

  it("is degraded, with the reason, when the engine is down", async () => {
    const down = await request("/health", {}, { ENGINE: createFakeEngine({ health: "down" }) });
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({
      ok: false,
      status: "degraded",
      reason: "engine unreachable: the engine cannot be reached (connection failed)",
      engine: { reachable: false, via: "binding" },
    });
    const failing = await request("/health", {}, { ENGINE: createFakeEngine({ health: 500 }) });
    expect(failing.status).toBe(503);
    expect(await failing.json()).toMatchObject({ status: "degraded", reason: "engine unreachable: the engine answered HTTP 500" });
  });

  it("is degraded when nothing listens at ENGINE_URL", async () => {
    const res = await request("/health", {}, { ENGINE_URL: "http://127.0.0.1:9" });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "degraded", engine: { reachable: false, via: "url" } });
  });

  it("probes every replica of a pool: degraded at 200 while some answer, 503 when none does, never naming addresses", async () => {
    const all = await request("/health", {}, { ENGINE_CONTAINER: containerPool([undefined, undefined, undefined]), ENGINE_INSTANCES: "3" });
    expect(all.status).toBe(200);
    expect(await all.json()).toMatchObject({
      status: "ok",
      engine: { reachable: true, via: "container", replicas: [{ replica: 0 }, { replica: 1 }, { replica: 2 }] },
    });
    const some = await request("/health", {}, { ENGINE_CONTAINER: containerPool([undefined, "down", 503]), ENGINE_INSTANCES: "3" });
    expect(some.status).toBe(200);
    expect(await some.json()).toMatchObject({
      ok: true,
      status: "degraded",
      reason:
        "engine partly unreachable: 2 of 3 replicas unreachable (replica 1: the engine cannot be reached (connection failed); replica 2: the engine answered HTTP 503 (busy or draining))",
      engine: {
        reachable: true,
        replicas: [
          { replica: 0, reachable: true },
          { replica: 1, reachable: false },
          { replica: 2, reachable: false },
        ],
      },
    });
    const none = await request("/health", {}, { ENGINE_CONTAINER: containerPool(["down", 500]), ENGINE_INSTANCES: "2" });
    expect(none.status).toBe(503);
    expect(await none.json()).toMatchObject({ ok: false, status: "degraded", engine: { reachable: false } });
    const urls = await request("/health", {}, { ENGINE_URLS: "http://127.0.0.1:9,http://127.0.0.1:7" });
    expect(urls.status).toBe(503);
    expect(JSON.stringify(await urls.json())).not.toContain("127.0.0.1");
  });

  it("answers through the worker's real fetch handler", async () => {
    const res = await SELF.fetch("http://example.com/health");
    expect([200, 503]).toContain(res.status);
    expect(await res.json()).toHaveProperty("engine.reachable");
  });
});
