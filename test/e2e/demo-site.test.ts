/**
 * What `npm start` sets up for sites, end to end and real: `wrangler dev` (workerd, local D1, no
 * account) with the demo page's site key naming `demo-docs` (scripts/demo-site.ts); the demo site
 * is created over the worker's own corpus pages, crawled, and the widget's site key then answers
 * from it with the engine process; a second run recrawls it with conditional requests.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSSEEvents } from "../../agent/event-stream";
import type { ChatEvent } from "../../agent/events";
import { ASSETS_DIR } from "../../scripts/build";
import { DEMO_SITE, DEMO_SITE_KEY, demoSiteVars, ensureDemoSite } from "../../scripts/demo-site";
import { startTestStack, type TestStack } from "../support/stack";

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack((workerUrl) => ({ SEARCH_MODE: "always", ...demoSiteVars(workerUrl) }));
});

afterAll(async () => {
  await stack?.stop();
});

interface CrawlJson {
  status: string;
  progress: { indexed: number; notModified: number; pagesRequested: number };
}

async function waitForCrawl(siteId: string, crawlId: string): Promise<CrawlJson> {
  for (let i = 0; i < 240; i++) {
    const crawl = (await (await fetch(`${stack.workerUrl}/api/sites/${siteId}/crawls/${crawlId}`)).json()) as CrawlJson;
    if (crawl.status !== "queued" && crawl.status !== "running") return crawl;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`crawl ${crawlId} did not end`);
}

function askWidget(message: string): Promise<Response> {
  return fetch(`${stack.workerUrl}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-site-key": DEMO_SITE_KEY, origin: stack.workerUrl },
    body: JSON.stringify({ message }),
  });
}

describe("the demo site of npm start", () => {
  it("is crawled through the worker's own URLs, and the demo widget answers from it", async () => {
    // Until the site exists, the demo key's answers have nowhere to come from: a clear 404.
    const early = await askWidget("How does the crawler honour Crawl-delay?");
    expect(early.status).toBe(404);
    expect(((await early.json()) as { error: { message: string } }).error.message).toContain(DEMO_SITE);

    const documents = (JSON.parse(readFileSync(join(ASSETS_DIR, "corpus", "index.json"), "utf8")) as { documentCount: number }).documentCount;
    const created = await ensureDemoSite(stack.workerUrl);
    expect(created).toMatchObject({ ok: true, action: "created" });
    if (!created.ok) return;
    const crawl = await waitForCrawl(created.siteId, created.crawlId);
    expect(crawl.status).toBe("done");
    expect(crawl.progress.indexed).toBe(documents);

    const res = await askWidget("How does the crawler honour Crawl-delay?");
    expect(res.status).toBe(200);
    const events: ChatEvent[] = [];
    for await (const e of parseSSEEvents(res.body!)) events.push(e.event);
    const sources = events.flatMap((e) => (e.type === "source" ? [e] : []));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(source.url.startsWith(`${stack.workerUrl}/corpus/`)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: "finish" });

    // The next `npm start` finds the site and recrawls it; every page, the contents page too, answers 304.
    const again = await ensureDemoSite(stack.workerUrl);
    expect(again).toMatchObject({ ok: true, action: "recrawl", siteId: created.siteId });
    if (!again.ok) return;
    const recrawl = await waitForCrawl(again.siteId, again.crawlId);
    expect(recrawl.status).toBe("done");
    expect(recrawl.progress).toMatchObject({ notModified: documents + 1, indexed: 0 });
  });
});
