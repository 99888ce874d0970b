// Every route of the worker (the sites API too), inside workerd, fuzzed with client mistakes (test/support/fuzz-requests.ts): bodies that are
// not JSON, wrong types, out-of-range numbers, lone surrogates, huge inputs, deep nesting, hostile path parameters, query
// strings and headers. Each must be answered with a 4xx in the error shape (or served); a 5xx is our bug. The engine is
// the scripted fake (a service binding), so a request that is valid after all runs the real agent against it.
import { beforeAll, describe, expect, it } from "vitest";
import { type FuzzCase, type FuzzRoute, fuzzCases, isServerFault } from "../../support/fuzz-requests";
import { newTestSite } from "../sites/support/sites";
import { call } from "./support/api";
import { createFakeEngine } from "./support/fake-engine";

const KEY = "fuzz-test-key-0123";
const vars = {
  ENGINE: createFakeEngine(),
  API_KEYS: KEY,
  RATE_LIMIT_KEY_PER_MINUTE: "0",
  RATE_LIMIT_IP_PER_MINUTE: "0",
  // The sites routes: the site made below, and one more a valid fuzzed create may add; the rest are refused.
  SITES_MAX_PER_KEY: "2",
};
const auth = { authorization: `Bearer ${KEY}` };
const messages = [{ role: "user", content: "hello there" }];
const jobSpec = { name: "Fuzz job", topic: "edge runtime news", schedule: { cron: "0 8 * * 1", timezone: "UTC" }, digest: { language: "en", length: "short" } };

const responseBody = {
  model: "megrez",
  input: "hello there",
  instructions: "Answer briefly.",
  tools: [{ type: "web_search", filters: { allowed_domains: ["example.com"], search_recency_filter: "week" } }],
  tool_choice: "none",
  max_output_tokens: 8,
  temperature: 0,
  store: true,
  stream: false,
  metadata: { purpose: "fuzz" },
};

let jobId = "job_000000000000000000000000";
let siteId = "site_000000000000";
let crawlId = "crawl_000000000000";
let sitemap = "http://127.0.0.1:9/sitemap.xml";
let responseId = "resp_000000000000000000000000000000000000000000000000";

function routes(): FuzzRoute[] {
  const job = { id: jobId };
  return [
    { method: "POST", path: "/api/chat", body: { sessionId: "fuzz-session-0001", message: "hello", search: "never" }, headers: auth },
    { method: "POST", path: "/api/chat/:sessionId/cancel", params: { sessionId: "fuzz-session-0001" }, headers: auth },
    { method: "GET", path: "/api/chat/:sessionId/stream", params: { sessionId: "fuzz-session-0001" }, query: { lastEventId: "1" }, headers: auth },
    { method: "GET", path: "/api/sessions/:id", params: { id: "fuzz-session-0001" }, headers: auth },
    { method: "DELETE", path: "/api/sessions/:id", params: { id: "fuzz-session-0002" }, headers: auth },
    {
      method: "POST",
      path: "/v1/chat/completions",
      body: { model: "megrez", messages, search: "never", max_tokens: 8, temperature: 0, stream: false, stop: ["zz"] },
      headers: auth,
    },
    { method: "POST", path: "/v1/responses", body: { ...responseBody, previous_response_id: responseId }, headers: auth },
    { method: "GET", path: "/v1/responses/:id", params: { id: responseId }, headers: auth },
    { method: "DELETE", path: "/v1/responses/:id", params: { id: responseId }, headers: auth },
    { method: "GET", path: "/v1/models", headers: auth },
    { method: "GET", path: "/v1/models/:id", params: { id: "megrez" }, headers: auth },
    { method: "POST", path: "/api/jobs", body: jobSpec, headers: auth },
    { method: "GET", path: "/api/jobs", headers: auth },
    { method: "GET", path: "/api/jobs/:id", params: job, headers: auth },
    { method: "PATCH", path: "/api/jobs/:id", params: job, body: { name: "Renamed", enabled: false, search: { pages: 2 } }, headers: auth },
    { method: "POST", path: "/api/jobs/:id/feed-token", params: job, headers: auth },
    { method: "GET", path: "/api/jobs/:id/runs", params: job, query: { limit: "5" }, headers: auth },
    { method: "GET", path: "/api/jobs/:id/runs/:runId", params: { ...job, runId: "run_00000000000000000000" }, headers: auth },
    { method: "GET", path: "/api/jobs/:id/digest", params: job, headers: auth },
    { method: "GET", path: "/api/jobs/:id/digest.md", params: job, headers: auth },
    { method: "GET", path: "/api/jobs/:id/runs/:runId/digest.md", params: { ...job, runId: "run_00000000000000000000" }, headers: auth },
    { method: "GET", path: "/api/jobs/:id/feed.xml", params: job, query: { token: "not-the-token" } },
    { method: "DELETE", path: "/api/jobs/:id", params: { id: "job_ffffffffffffffffffffffff" }, headers: auth },
    { method: "POST", path: "/api/sites", body: { name: "fuzz-site-two", sitemap, robotsSitemaps: false, budgets: { maxPages: 2 } }, headers: auth },
    { method: "GET", path: "/api/sites", headers: auth },
    { method: "GET", path: "/api/sites/:id", params: { id: siteId }, headers: auth },
    { method: "PATCH", path: "/api/sites/:id", params: { id: siteId }, body: { exclude: ["/private"], budgets: { maxPages: 3 } }, headers: auth },
    { method: "GET", path: "/api/sites/:id/crawls", params: { id: siteId }, query: { limit: "5" }, headers: auth },
    {
      method: "GET",
      path: "/api/sites/:id/crawls/:crawlId",
      params: { id: siteId, crawlId },
      query: { logAfter: "0", logLimit: "10" },
      headers: auth,
    },
    { method: "POST", path: "/api/sites/:id/crawls/:crawlId/cancel", params: { id: siteId, crawlId }, headers: auth },
    { method: "DELETE", path: "/api/sites/:id", params: { id: "site_ffffffffffff" }, headers: auth },
    { method: "GET", path: "/health" },
    { method: "GET", path: "/widget/capabilities", query: { siteKey: "nope" } },
    { method: "GET", path: "/widget.js" },
    { method: "GET", path: "/" },
    { method: "GET", path: "/corpus/:page", params: { page: "agent.html" } },
    { method: "PUT", path: "/v1/chat/completions", body: { model: "megrez", messages }, headers: auth },
    { method: "GET", path: "/api/no-such-route", headers: auth },
  ];
}

beforeAll(async () => {
  const { response, settled } = await call(
    "/api/jobs",
    { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(jobSpec) },
    vars,
  );
  await settled;
  expect(response.status).toBe(201);
  jobId = ((await response.json()) as { id: string }).id;
  const stored = await call(
    "/v1/responses",
    { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(responseBody) },
    vars,
  );
  await stored.settled;
  expect(stored.response.status).toBe(200);
  responseId = ((await stored.response.json()) as { id: string }).id;
  sitemap = `${(await newTestSite()).origin}/sitemaps/more.xml`;
  const site = await call(
    "/api/sites",
    {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ name: "fuzz-site", sitemap, robotsSitemaps: false, budgets: { maxPages: 3 } }),
    },
    vars,
  );
  await site.settled;
  expect(site.response.status).toBe(201);
  const created = (await site.response.json()) as { id: string; latestCrawl: { id: string } };
  siteId = created.id;
  crawlId = created.latestCrawl.id;
  // Its first crawl ends first, so the fuzzed requests meet a settled site.
  for (let tries = 0; tries < 200; tries++) {
    const crawl = await call(`/api/sites/${siteId}/crawls/${crawlId}`, { headers: auth }, vars);
    await crawl.settled;
    const { status } = (await crawl.response.json()) as { status: string };
    if (status !== "queued" && status !== "running") break;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
});

async function send(fuzz: FuzzCase): Promise<{ status: number; body: string }> {
  const { response, settled } = await call(
    fuzz.path,
    { method: fuzz.method, headers: fuzz.headers, ...(fuzz.body === undefined ? {} : { body: fuzz.body }) },
    vars,
  );
  const streaming = response.headers.get("content-type")?.includes("event-stream");
  const body = streaming ? "" : await response.text();
  if (streaming) await response.body?.cancel();
  await settled;
  return { status: response.status, body };
}

describe("worker routes under fuzzed client mistakes", () => {
  it("answers every bad request to every route with a 4xx, never a 5xx", async () => {
    const faults: string[] = [];
    let count = 0;
    const statuses: Record<number, number> = {};
    for (const route of routes()) {
      for (const fuzz of fuzzCases(route)) {
        count += 1;
        const { status, body } = await send(fuzz).catch((error: unknown) => ({ status: 599, body: String(error) }));
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (isServerFault(status)) faults.push(`${fuzz.name} → ${status} ${body.slice(0, 200)}`);
        else if (status >= 400 && !body.includes('"error"')) faults.push(`${fuzz.name} → ${status} without the error shape: ${body.slice(0, 160)}`);
      }
    }
    // Hostile-but-valid requests were served too: the fuzz reached the handlers, not only the validators.
    expect(statuses[200] ?? 0).toBeGreaterThan(40);
    expect(count).toBeGreaterThan(800);
    expect(faults).toEqual([]);
  }, 600_000);
});
