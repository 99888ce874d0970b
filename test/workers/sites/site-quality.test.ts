// Search quality of the site index on the shipped corpus (docs/, served by the worker under
// /corpus/): the corpus is crawled through the worker's own URLs (read from the assets), then 30
// questions (20 English, 10 Chinese) with known answer pages are asked of the site index and,
// beside it, of the minisearch local index over the same pages. Needs dist/assets (npm run build:index).
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createSearchProvider } from "../../../search/providers/index";
import { createSiteIndexProvider } from "../../../search/providers/site-index";
import type { SearchProvider } from "../../../search/types";
import { SiteIndexStore } from "../../../workers/sites/site-index-store";
import questions from "../../fixtures/site-quality/questions.json";
import { createSite, ORIGIN, uniqueName, waitForCrawl } from "./support/sites";

const CORPUS = `${ORIGIN}/corpus/`;

function slugOf(url: string): string {
  return new URL(url).pathname.replace(/^\/corpus\//, "").replace(/\.html$/, "");
}

/** recall@5 and mean reciprocal rank of `provider` over the question set. */
async function evaluate(provider: SearchProvider) {
  const misses: string[] = [];
  let found = 0;
  let reciprocal = 0;
  for (const pair of questions.pairs) {
    const results = await provider.search(pair.question, { limit: 5 });
    const rank = results.findIndex((result) => slugOf(result.url) === pair.page) + 1;
    if (rank > 0) {
      found += 1;
      reciprocal += 1 / rank;
    } else misses.push(`${pair.question} → ${pair.page} (got ${results.map((r) => slugOf(r.url)).join(", ") || "nothing"})`);
  }
  const n = questions.pairs.length;
  return { recallAt5: found / n, mrr: reciprocal / n, misses };
}

describe("site index quality on the shipped corpus", () => {
  let siteId = "";
  let documentCount = 0;

  beforeAll(async () => {
    const index = await env.ASSETS.fetch(`${CORPUS}index.json`);
    if (!index.ok) throw new Error("dist/assets/corpus is not built: run `npm run build:index` first");
    documentCount = ((await index.json()) as { documentCount: number }).documentCount;
    const site = await createSite({ name: uniqueName("corpus"), startUrls: [CORPUS], include: ["/corpus/*"], robotsSitemaps: false });
    const crawl = await waitForCrawl(site.id, site.latestCrawl!.id);
    expect(crawl.status).toBe("done");
    expect(crawl.progress.indexed, JSON.stringify({ skipped: crawl.skipped, log: crawl.log?.filter((e) => e.event !== "indexed") })).toBe(documentCount);
    siteId = site.id;
  });

  it("answers 30 questions (English and Chinese) with the right page in the top 5 at least 90% of the time", async () => {
    expect(questions.pairs).toHaveLength(30);
    expect(questions.pairs.filter((pair) => /\p{Script=Han}/u.test(pair.question))).toHaveLength(10);
    const store = new SiteIndexStore(env.SITE_INDEX);
    const site = await evaluate(createSiteIndexProvider({ siteIds: [siteId], searchPassages: (match, limit) => store.searchPassages(match, limit) }));
    const minisearch = await evaluate(
      createSearchProvider("local", {
        fetch: (input) => env.ASSETS.fetch(String(input)),
        baseUrl: CORPUS,
        loadIndex: async () => (await env.ASSETS.fetch(`${CORPUS}index.json`)).json(),
      }),
    );
    console.log(
      `site index (D1 FTS5): recall@5 ${site.recallAt5.toFixed(3)}, MRR ${site.mrr.toFixed(3)}; minisearch: recall@5 ${minisearch.recallAt5.toFixed(3)}, MRR ${minisearch.mrr.toFixed(3)} (${documentCount} pages, 30 questions)`,
    );
    if (site.misses.length > 0) console.log(`site index misses:\n  ${site.misses.join("\n  ")}`);
    if (minisearch.misses.length > 0) console.log(`minisearch misses:\n  ${minisearch.misses.join("\n  ")}`);
    expect(site.recallAt5, site.misses.join("\n")).toBeGreaterThanOrEqual(0.9);
  });
});
