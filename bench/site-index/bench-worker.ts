/**
 * The worker the site-index benchmark runs under `wrangler dev` (workerd, local D1): it indexes
 * pages into the real site index (SiteIndexStore over D1) and, beside it, builds a minisearch index
 * over the same passages in memory (the local index's library and options), and answers queries
 * from either. bench/site-index/run.ts drives it over HTTP and times each request from outside
 * (inside workerd the clock only moves on I/O, so CPU-bound work cannot time itself).
 */
import MiniSearch from "minisearch";
import { createSiteIndexProvider } from "../../search/providers/site-index";
import { passageRows } from "../../search/site-index/passage-rows";
import { tokenizeTerms } from "../../search/text-terms";
import { SiteIndexStore } from "../../workers/sites/site-index-store";

interface BenchEnv {
  SITE_INDEX: D1Database;
}

interface BenchPage {
  url: string;
  title: string;
  text: string;
}

interface PassageDoc {
  id: number;
  url: string;
  title: string;
  headings: string;
  text: string;
}

const SITE_ID = "site_0000000bench";

let minisearch: MiniSearch<PassageDoc> | undefined;

function minisearchOptions() {
  return { fields: ["title", "headings", "text"], storeFields: ["url"], tokenize: tokenizeTerms, processTerm: (term: string) => term };
}

async function handle(request: Request, env: BenchEnv): Promise<Response> {
  const url = new URL(request.url);
  const store = new SiteIndexStore(env.SITE_INDEX);
  switch (url.pathname) {
    case "/noop":
      return Response.json({ ok: true });
    case "/index": {
      const pages: BenchPage[] = await request.json();
      let passages = 0;
      for (const page of pages) {
        const rows = passageRows(page);
        passages += rows.length;
        await store.putPage(SITE_ID, { url: page.url, title: page.title, rows }, Date.now());
      }
      return Response.json({ pages: pages.length, passages });
    }
    case "/minisearch/build": {
      const pages: BenchPage[] = await request.json();
      const docs: PassageDoc[] = [];
      for (const page of pages)
        for (const row of passageRows(page)) docs.push({ id: docs.length, url: page.url, title: page.title, headings: row.headings, text: row.text });
      minisearch = new MiniSearch<PassageDoc>(minisearchOptions());
      minisearch.addAll(docs);
      return Response.json({ passages: docs.length, serializedBytes: JSON.stringify(minisearch.toJSON()).length });
    }
    case "/query/site": {
      const provider = createSiteIndexProvider({ siteIds: [SITE_ID], searchPassages: (match, limit) => store.searchPassages(match, limit) });
      const results = await provider.search(url.searchParams.get("q") ?? "", { limit: 5 });
      return Response.json({ results: results.length });
    }
    case "/query/minisearch": {
      if (!minisearch) return new Response("build first", { status: 409 });
      const hits = minisearch.search(url.searchParams.get("q") ?? "", {
        boost: { title: 4, headings: 2 },
        prefix: (term) => term.length > 3,
        fuzzy: (term) => (term.length > 5 ? 0.15 : false),
        combineWith: "OR",
      });
      const pages = new Set<string>();
      for (const hit of hits) {
        pages.add(String(hit.url));
        if (pages.size >= 5) break;
      }
      return Response.json({ results: pages.size });
    }
    case "/size": {
      const result = await env.SITE_INDEX.prepare("SELECT COUNT(*) AS pages, COALESCE(SUM(passages), 0) AS passages FROM site_pages").run<{
        pages: number;
        passages: number;
      }>();
      return Response.json({ ...result.results[0], bytes: result.meta.size_after });
    }
  }
  return new Response("not found", { status: 404 });
}

export default {
  fetch: (request: Request, env: BenchEnv) =>
    handle(request, env).catch((error: unknown) => new Response(String(error instanceof Error ? error.stack : error), { status: 500 })),
};
