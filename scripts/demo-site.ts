/**
 * The demo site `npm start` sets up, so answers from a crawled site can be seen working locally
 * with no key: the worker gets a widget site key for its own demo page whose `sites` name
 * `demo-docs` (`demoSiteVars`), and once it is up, `ensureDemoSite` creates `demo-docs` over the
 * served corpus (`<worker>/corpus/`, the contents page linking every document; the crawler reads
 * the worker's own URLs from its assets) or, when an earlier run left it in the local state,
 * recrawls it (unchanged pages answer 304). The e2e test drives these same functions.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

export const DEMO_SITE = "demo-docs";
/** The site key the demo page's widget sends (workers/widget/demo/index.html). */
export const DEMO_SITE_KEY = "demo";

/** A variable from the repository's `.dev.vars` (which wrangler reads, and `--var` would override). */
export function devVar(root: string, name: string): string | undefined {
  const file = join(root, ".dev.vars");
  if (!existsSync(file)) return undefined;
  const line = readFileSync(file, "utf8")
    .split(/\r?\n/)
    .find((candidate) => candidate.startsWith(`${name}=`));
  return line
    ?.slice(name.length + 1)
    .trim()
    .replace(/^"(.*)"$/, "$1");
}

/** Worker variables: the demo page's site key answers from the demo site. */
export function demoSiteVars(workerUrl: string): Record<string, string> {
  return { WIDGET_SITE_KEYS: JSON.stringify({ [DEMO_SITE_KEY]: { origins: [workerUrl], sites: [DEMO_SITE] } }) };
}

export type DemoSiteOutcome =
  | { ok: true; siteId: string; crawlId: string; action: "created" | "recrawl" | "already-crawling" }
  | { ok: false; message: string };

const siteSchema = z.object({ id: z.string(), latestCrawl: z.object({ id: z.string() }).nullable().optional() });
const crawlSchema = z.object({ id: z.string(), status: z.string() });
const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

async function describeFailure(response: Response): Promise<string> {
  const parsed = errorSchema.safeParse(await response.json().catch(() => null));
  return parsed.success ? `${response.status} ${parsed.data.error.code}: ${parsed.data.error.message}` : `HTTP ${response.status}`;
}

/** Creates the demo site, or starts a recrawl of the one an earlier run created. Never throws. */
export async function ensureDemoSite(workerUrl: string, apiKey?: string): Promise<DemoSiteOutcome> {
  const headers: Record<string, string> = { "content-type": "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) };
  try {
    const existing = await fetch(`${workerUrl}/api/sites/${DEMO_SITE}`, { headers });
    if (existing.status === 200) {
      const site = siteSchema.parse(await existing.json());
      const crawl = await fetch(`${workerUrl}/api/sites/${site.id}/crawls`, { method: "POST", headers });
      if (crawl.status === 202) return { ok: true, siteId: site.id, crawlId: crawlSchema.parse(await crawl.json()).id, action: "recrawl" };
      if (crawl.status === 409 && site.latestCrawl) return { ok: true, siteId: site.id, crawlId: site.latestCrawl.id, action: "already-crawling" };
      return { ok: false, message: `recrawling ${DEMO_SITE} failed: ${await describeFailure(crawl)}` };
    }
    if (existing.status !== 404) return { ok: false, message: `reading ${DEMO_SITE} failed: ${await describeFailure(existing)}` };
    const created = await fetch(`${workerUrl}/api/sites`, {
      method: "POST",
      headers,
      body: JSON.stringify({ name: DEMO_SITE, startUrls: [`${workerUrl}/corpus/`], include: ["/corpus/*"], robotsSitemaps: false }),
    });
    if (created.status !== 201) return { ok: false, message: `creating ${DEMO_SITE} failed: ${await describeFailure(created)}` };
    const site = siteSchema.parse(await created.json());
    return { ok: true, siteId: site.id, crawlId: site.latestCrawl?.id ?? "", action: "created" };
  } catch (error) {
    return { ok: false, message: `setting up ${DEMO_SITE} failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}
