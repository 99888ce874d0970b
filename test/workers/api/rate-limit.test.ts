import { describe, expect, it } from "vitest";
import { errorOf, postJson, request } from "./support/api";
import { createFakeEngine } from "./support/fake-engine";

describe("rate limits", () => {
  it("limits a site key to its own budget with 429 and Retry-After", async () => {
    const vars = {
      WIDGET_SITE_KEYS: JSON.stringify({ "pk-limited": { origins: ["https://site.example"], rateLimitPerMinute: 2 } }),
      API_KEYS: "sk-x",
    };
    const headers = { "x-site-key": "pk-limited", origin: "https://site.example", "cf-connecting-ip": "198.51.100.7" };
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await request("/api/sessions/limited-session", { headers }, vars)).status);
    expect(statuses).toEqual([404, 404, 429]);
    const res = await request("/api/sessions/limited-session", { headers }, vars);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(25);
    expect(await errorOf(res)).toMatchObject({ type: "rate_limit_error", code: "rate_limited" });
  });

  it("charges one request once on /api/chat (the middleware runs once per route)", async () => {
    const vars = {
      ENGINE: createFakeEngine(),
      WIDGET_SITE_KEYS: JSON.stringify({ "pk-chat-limited": { origins: ["https://site.example"], rateLimitPerMinute: 2 } }),
    };
    const headers = { "x-site-key": "pk-chat-limited", origin: "https://site.example" };
    const statuses = [];
    for (let i = 0; i < 3; i += 1) {
      statuses.push((await request("/api/chat", postJson({ message: `question ${i}`, search: "never" }, headers), vars)).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("limits an API key per minute", async () => {
    const vars = { API_KEYS: "sk-rate-key", RATE_LIMIT_KEY_PER_MINUTE: "1", RATE_LIMIT_IP_PER_MINUTE: "0" };
    const headers = { authorization: "Bearer sk-rate-key" };
    expect((await request("/v1/models", { headers }, vars)).status).toBe(200);
    const limited = await request("/v1/models", { headers }, vars);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
  });

  it("limits each client IP separately", async () => {
    const vars = { RATE_LIMIT_IP_PER_MINUTE: "2" };
    const from = (ip: string) => request("/v1/models", { headers: { "cf-connecting-ip": ip } }, vars);
    expect([(await from("203.0.113.1")).status, (await from("203.0.113.1")).status, (await from("203.0.113.1")).status]).toEqual([200, 200, 429]);
    expect((await from("203.0.113.2")).status).toBe(200);
  });

  it("does not limit preflights", async () => {
    const vars = { RATE_LIMIT_IP_PER_MINUTE: "1", CORS_ORIGINS: "https://c.example" };
    const headers = { origin: "https://c.example", "access-control-request-method": "POST", "cf-connecting-ip": "203.0.113.9" };
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await request("/v1/chat/completions", { method: "OPTIONS", headers }, vars)).status);
    expect(statuses).toEqual([204, 204, 204]);
  });
});
