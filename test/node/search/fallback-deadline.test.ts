// SEARCH_FALLBACK when the primary provider hangs: a real SearXNG provider pointed at a loopback server that accepts the
// request and never answers (its own timeout, 10 s, is longer than the agent's search deadline) must not eat the whole
// deadline: the chain gives it a share and the fallback, a second SearXNG, answers before the deadline. Also the agent's
// research step, end to end, cites the fallback's results.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../../agent/config";
import type { ModelClient } from "../../../agent/model-client";
import { runResearch } from "../../../agent/research";
import { createFallbackChain, createSearchProvider } from "../../../search/providers/index";
import { startServer, type TestServer } from "./support/http-server";

const answer = readFileSync(new URL("fixtures/searxng-search.json", import.meta.url), "utf8");
let hanging: TestServer;
let working: TestServer;

beforeAll(async () => {
  hanging = await startServer({ "/search": () => undefined });
  working = await startServer({ "/search": (_request, response) => response.writeHead(200, { "content-type": "application/json" }).end(answer) });
});
afterAll(async () => {
  await hanging.close();
  await working.close();
});

function chain() {
  return createFallbackChain([
    createSearchProvider("searxng", { fetch, baseUrl: hanging.origin }),
    createSearchProvider("searxng", { fetch, baseUrl: working.origin }),
  ]);
}

describe("a hanging primary search provider", () => {
  it("leaves the fallback a share of the deadline, and the fallback's answer arrives before it", async () => {
    const deadlineMs = 2_000;
    const errors: string[] = [];
    const search = createFallbackChain(
      [createSearchProvider("searxng", { fetch, baseUrl: hanging.origin }), createSearchProvider("searxng", { fetch, baseUrl: working.origin })],
      { onProviderError: (error) => errors.push(`${error.provider}:${error.kind}`) },
    );
    const results = await search.search("cloudflare workers cpu limit", {
      limit: 5,
      signal: AbortSignal.timeout(deadlineMs),
      deadline: Date.now() + deadlineMs,
    });
    expect(results.length).toBeGreaterThan(0);
    expect(results[0]?.url).toBe("https://developers.cloudflare.com/workers/platform/limits/");
    expect(errors).toEqual(["searxng:timeout"]);
    expect(hanging.hits.get("/search")).toBeGreaterThan(0);
  });

  it("lets the agent's research step cite the fallback's results within its search deadline", async () => {
    const config = parseAgentConfig({ deadlines: { searchMs: 2_000 } });
    const outcome = await runResearch(
      { question: "What is the Workers CPU limit?", query: "cloudflare workers cpu limit" },
      {
        config,
        search: chain(),
        model: {} as ModelClient,
        fetchPage: async (url) => ({ ok: false, url, reason: "network", detail: "pages are not read in this test" }),
        extract: () => ({ url: "", title: "", text: "" }),
      },
    );
    expect(outcome.failure).toBeUndefined();
    expect(outcome.sources[0]?.url).toBe("https://developers.cloudflare.com/workers/platform/limits/");
  });
});
