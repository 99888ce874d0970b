// The worker's GET /health inside workerd reports the engine's reachability: ok when the engine answers, a 503
// "degraded" with the reason when it is down, refuses the connection, or answers with an error.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { request } from "./api/support/api";
import { createFakeEngine } from "./api/support/fake-engine";

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

  it("answers through the worker's real fetch handler", async () => {
    const res = await SELF.fetch("http://example.com/health");
    expect([200, 503]).toContain(res.status);
    expect(await res.json()).toHaveProperty("engine.reachable");
  });
});
