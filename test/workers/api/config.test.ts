import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../workers/config";

describe("parseConfig", () => {
  it("fills every default from an empty environment (open mode)", () => {
    const result = parseConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const config = result.value;
    expect(config.engine).toEqual({
      url: "http://127.0.0.1:8080",
      urls: ["http://127.0.0.1:8080"],
      instances: 1,
      pool: { spillAt: 4, ejectAfter: 3, ejectMs: 30_000, probeMs: 5_000 },
      model: "megrez",
      apiKey: undefined,
      timeoutMs: 120_000,
    });
    expect(config.search.provider).toBe("local");
    expect(config.search.mode).toBe("auto");
    expect(config.auth.open).toBe(true);
    expect(config.rateLimit).toEqual({ perKeyPerMinute: 60, perIpPerMinute: 120 });
    expect(config.limits).toEqual({ maxBodyBytes: 131_072, maxMessageChars: 8_000, maxConcurrentChats: 0 });
    expect(config.allowPrivateFetch).toBe(false);
    expect(config.agent.defaultSearchMode).toBe("auto");
    expect(config.agent.pages).toBe(5);
  });

  it("parses lists, JSON site keys, numbers, booleans and the agent config", () => {
    const result = parseConfig({
      ENGINE_URL: "http://127.0.0.1:9000/v1/",
      API_KEYS: " k1, k2 ,",
      WIDGET_SITE_KEYS: JSON.stringify({ site1: { origins: ["https://a.example/", "http://localhost:3000"], rateLimitPerMinute: 5 } }),
      CORS_ORIGINS: "https://b.example",
      SEARCH_MODE: "never",
      SEARCH_FALLBACK: "serper, brave",
      SERPER_API_KEY: "serper-key",
      BRAVE_API_KEY: "brave-key",
      RATE_LIMIT_IP_PER_MINUTE: "0",
      ALLOW_PRIVATE_FETCH: "true",
      AGENT_CONFIG: JSON.stringify({ pages: 3, searchRounds: 2 }),
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const config = result.value;
    expect(config.engine.url).toBe("http://127.0.0.1:9000");
    expect([...config.auth.apiKeys]).toEqual(["k1", "k2"]);
    expect(config.auth.open).toBe(false);
    expect(config.auth.siteKeys.get("site1")).toEqual({ origins: ["https://a.example", "http://localhost:3000"], rateLimitPerMinute: 5 });
    expect([...config.cors.origins].sort()).toEqual(["http://localhost:3000", "https://a.example", "https://b.example"]);
    expect(config.search.fallback).toEqual(["serper", "brave"]);
    expect(config.rateLimit.perIpPerMinute).toBe(0);
    expect(config.allowPrivateFetch).toBe(true);
    expect(config.agent).toMatchObject({ pages: 3, searchRounds: 2, defaultSearchMode: "never" });
  });

  it("names each bad variable without echoing its value", () => {
    const result = parseConfig({
      ENGINE_URL: "not a url",
      SEARCH_MODE: "sometimes",
      WIDGET_SITE_KEYS: "{secret-looking-json",
      MAX_BODY_BYTES: "-5",
      ALLOW_PRIVATE_FETCH: "maybe",
      API_KEYS: "sk-very-secret",
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const message = result.error.message;
    for (const name of ["ENGINE_URL", "SEARCH_MODE", "WIDGET_SITE_KEYS", "MAX_BODY_BYTES", "ALLOW_PRIVATE_FETCH"]) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain("sk-very-secret");
    expect(message).not.toContain("secret-looking-json");
    expect(message).not.toContain("not a url");
  });

  it("requires the key or URL of each configured search provider", () => {
    const result = parseConfig({ SEARCH_PROVIDER: "serper", SEARCH_FALLBACK: "searxng,local" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.issues).toEqual(['SERPER_API_KEY: required by search provider "serper"', 'SEARXNG_URL: required by search provider "searxng"']);
    const unknown = parseConfig({ SEARCH_PROVIDER: "google" });
    expect(unknown.ok).toBe(false);
  });

  it("rejects site keys without origins and an invalid agent config", () => {
    const result = parseConfig({
      WIDGET_SITE_KEYS: JSON.stringify({ k: { origins: [] } }),
      AGENT_CONFIG: JSON.stringify({ pages: 50 }),
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.issues.map((i) => i.split(":")[0])).toEqual(["WIDGET_SITE_KEYS", "AGENT_CONFIG"]);
  });
});
