import { describe, expect, it } from "vitest";
import { request } from "./support/api";

const VARS = {
  API_KEYS: "sk-test-1",
  WIDGET_SITE_KEYS: JSON.stringify({ "pk-site-a": { origins: ["https://site-a.example"] } }),
  CORS_ORIGINS: "https://console.example",
};

const preflight = (origin: string, path = "/api/chat") =>
  request(
    path,
    { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,x-site-key" } },
    VARS,
  );

describe("CORS", () => {
  it("answers a preflight from a site key's origin without credentials", async () => {
    const res = await preflight("https://site-a.example");
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://site-a.example");
    expect(res.headers.get("access-control-allow-headers")).toContain("x-site-key");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });

  it("allows origins listed in CORS_ORIGINS on the OpenAI routes", async () => {
    const res = await preflight("https://console.example", "/v1/chat/completions");
    expect(res.headers.get("access-control-allow-origin")).toBe("https://console.example");
  });

  it("gives other origins no allow-origin header", async () => {
    const res = await preflight("https://evil.example");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("exposes the session and request ids to the allowed page, also on errors", async () => {
    const res = await request("/api/sessions/unknown-session", { headers: { origin: "https://site-a.example", "x-site-key": "pk-site-a" } }, VARS);
    expect(res.status).toBe(404);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://site-a.example");
    expect(res.headers.get("access-control-expose-headers")).toContain("x-session-id");
    expect(res.headers.get("access-control-expose-headers")).toContain("retry-after");
  });
});
