import { describe, expect, it } from "vitest";
import { errorOf, ORIGIN, postJson, request } from "./support/api";
import { createFakeEngine } from "./support/fake-engine";

const SITE_KEYS = JSON.stringify({ "pk-site-a": { origins: ["https://site-a.example"] } });
const KEYED = { API_KEYS: "sk-test-1,sk-test-2", WIDGET_SITE_KEYS: SITE_KEYS };

describe("API keys", () => {
  it("refuses /v1 without a key when keys are configured, in the one error shape", async () => {
    const res = await request("/v1/models", {}, KEYED);
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toEqual({
      message: "Missing or invalid API key: send `Authorization: Bearer <key>`.",
      type: "authentication_error",
      param: null,
      code: "invalid_api_key",
    });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses an unknown key and accepts a configured one", async () => {
    const bad = await request("/v1/models", { headers: { authorization: "Bearer sk-nope" } }, KEYED);
    expect(bad.status).toBe(401);
    const good = await request("/v1/models", { headers: { authorization: "Bearer sk-test-2" } }, KEYED);
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ object: "list", data: [{ id: "megrez", object: "model", created: 0, owned_by: "megrez-edge" }] });
  });

  it("are accepted on the widget routes too, and missing there when keys are configured", async () => {
    const ok = await request("/api/sessions/never-created-2", { headers: { authorization: "Bearer sk-test-1" } }, KEYED);
    expect(ok.status).toBe(404);
    const missing = await request("/api/chat", postJson({ message: "hi" }), KEYED);
    expect(missing.status).toBe(401);
  });

  it("is open when API_KEYS is unset, whatever bearer token a client sends", async () => {
    expect((await request("/v1/models")).status).toBe(200);
    expect((await request("/v1/models", { headers: { authorization: "Bearer local-dev" } })).status).toBe(200);
  });

  it("echoes a sane x-request-id and replaces an unsafe one", async () => {
    const kept = await request("/v1/models", { headers: { "x-request-id": "trace-42.a_b" } });
    expect(kept.headers.get("x-request-id")).toBe("trace-42.a_b");
    const replaced = await request("/v1/models", { headers: { "x-request-id": "bad id\twith spaces" } });
    expect(replaced.headers.get("x-request-id")).not.toContain("bad");
  });
});

describe("site keys", () => {
  const site = { "x-site-key": "pk-site-a", origin: "https://site-a.example" };

  it("are refused on the OpenAI routes even from their own origin", async () => {
    const res = await request("/v1/models", { headers: site }, KEYED);
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe("site_key_not_allowed");
  });

  it("are accepted on the widget routes from an allowed origin", async () => {
    const res = await request("/api/sessions/never-created-1", { headers: site }, KEYED);
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("session_not_found");
  });

  it("are refused from another origin or without an Origin", async () => {
    const other = await request("/api/sessions/never-created-1", { headers: { ...site, origin: "https://evil.example" } }, KEYED);
    expect(other.status).toBe(403);
    expect((await errorOf(other)).code).toBe("origin_not_allowed");
    const none = await request("/api/sessions/never-created-1", { headers: { "x-site-key": "pk-site-a" } }, KEYED);
    expect(none.status).toBe(403);
  });

  it("are accepted on a same-origin GET, which browsers send without Origin", async () => {
    const own = { API_KEYS: "sk-test-1", WIDGET_SITE_KEYS: JSON.stringify({ "pk-own": { origins: [ORIGIN] } }) };
    const sameOrigin = await request("/api/sessions/never-created-3", { headers: { "x-site-key": "pk-own", "sec-fetch-site": "same-origin" } }, own);
    expect(sameOrigin.status).toBe(404);
    expect((await errorOf(sameOrigin)).code).toBe("session_not_found");
    const crossSite = await request("/api/sessions/never-created-3", { headers: { "x-site-key": "pk-own", "sec-fetch-site": "cross-site" } }, own);
    expect((await errorOf(crossSite)).code).toBe("origin_not_allowed");
  });

  it("are refused when unknown", async () => {
    const res = await request("/api/chat", postJson({ message: "hi" }, { "x-site-key": "pk-unknown", origin: "https://site-a.example" }), KEYED);
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("invalid_api_key");
  });

  it("scope sessions: a site cannot read a session created with an API key", async () => {
    const open = { WIDGET_SITE_KEYS: SITE_KEYS };
    const created = await request("/api/chat", postJson({ sessionId: "scoped-session-1", message: "hello", search: "never" }), {
      ...open,
      ENGINE: createFakeEngine(),
    });
    expect(created.status).toBe(200);
    expect((await request("/api/sessions/scoped-session-1", {}, open)).status).toBe(200);
    expect((await request("/api/sessions/scoped-session-1", { headers: site }, open)).status).toBe(404);
  });
});
