// The local corpus end to end: build an index from Markdown/HTML/text files, search it through the
// provider (English and Chinese), then serve the built pages over HTTP and fetch + extract a result.
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildIndex } from "../../../scripts/build-index";
import { extractPage } from "../../../search/extract";
import { createPageFetcher } from "../../../search/fetch";
import { createLocalIndexProvider } from "../../../search/providers/local-index";
import { isSearchError } from "../../../search/providers/search-error";
import { parseDomainFilter } from "../../../search/search-filter";
import { startServer, type TestServer } from "./support/http-server";

let folder: string;
let out: string;
let server: TestServer;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "megrez-corpus-"));
  const corpus = join(folder, "corpus");
  out = join(folder, "out");
  await mkdir(join(corpus, "guides"), { recursive: true });
  await writeFile(
    join(corpus, "deploy.md"),
    "# Deploying to Workers\n\nRun `wrangler deploy` after setting the **SERPER_API_KEY** secret.\n\n## Limits\n\n- Six simultaneous connections\n- 30 seconds of CPU\n",
  );
  await writeFile(join(corpus, "guides", "Chinese Guide.md"), "# 中文指南\n\n本系统支持中文搜索，使用字符二元组建立索引。\n");
  await writeFile(join(corpus, "notes.txt"), "Release notes\n\nThe engine now streams tokens with a KV cache.\n");
  await writeFile(
    join(corpus, "page.html"),
    "<html><head><title>Widget embedding</title></head><body><article><p>Embed the chat widget with one script tag and a data-endpoint attribute on any page.</p></article></body></html>",
  );
  await writeFile(join(corpus, "ignored.png"), "x");
  server = await startServer({});
});

afterAll(async () => {
  await server?.close();
  await rm(folder, { recursive: true, force: true });
});

describe("local corpus index", () => {
  it("builds pages and an index for every text document", async () => {
    const report = await buildIndex({ corpus: join(folder, "corpus"), out, now: () => new Date("2026-01-01T00:00:00Z") });
    expect(report.documents).toBe(4);
    expect(report.slugs.sort()).toEqual(["deploy", "guides-chinese-guide", "notes", "page"]);
    const page = await readFile(join(out, "deploy.html"), "utf8");
    expect(page).toContain("<title>Deploying to Workers</title>");
    expect(page).toContain("<li>Six simultaneous connections</li>");
  });

  it("answers English and Chinese queries with fetchable URLs", async () => {
    const provider = createLocalIndexProvider({
      loadIndex: async () => JSON.parse(await readFile(join(out, "index.json"), "utf8")),
      baseUrl: "http://127.0.0.1:8787/corpus",
    });
    const english = await provider.search("how many simultaneous connections", { limit: 3 });
    expect(english[0]).toMatchObject({ rank: 1, url: "http://127.0.0.1:8787/corpus/deploy.html", title: "Deploying to Workers", provider: "local" });
    expect(english[0]?.snippet).toContain("wrangler deploy");
    const chinese = await provider.search("中文搜索", { limit: 3 });
    expect(chinese[0]?.url).toBe("http://127.0.0.1:8787/corpus/guides-chinese-guide.html");
    expect(await provider.search("zzzqqq", { limit: 3 })).toEqual([]);
  });

  it("filters by URL host (and path) before cutting to the limit", async () => {
    const provider = (baseUrl: string) =>
      createLocalIndexProvider({ loadIndex: async () => JSON.parse(await readFile(join(out, "index.json"), "utf8")), baseUrl });
    const domains = (entries: string[]) => {
      const parsed = parseDomainFilter(entries);
      if (!parsed.ok) throw new Error(parsed.message);
      return parsed.filter;
    };
    const docs = provider("https://docs.example.com/corpus/");
    const query = "deploy widget engine connections";
    const all = await docs.search(query, { limit: 4 });
    expect(all.length).toBeGreaterThan(1);
    expect(await docs.search(query, { limit: 4, domains: domains(["example.com"]) })).toEqual(all);
    expect(await docs.search(query, { limit: 4, domains: domains(["other.org"]) })).toEqual([]);
    expect(await docs.search(query, { limit: 4, domains: domains(["-docs.example.com"]) })).toEqual([]);
    const onePage = await docs.search(query, { limit: 1, domains: domains(["https://docs.example.com/corpus/notes.html"]) });
    expect(onePage.map((hit) => hit.url)).toEqual(["https://docs.example.com/corpus/notes.html"]);
    const denied = await docs.search(query, { limit: 4, domains: domains(["-https://docs.example.com/corpus/deploy.html"]) });
    expect(denied.map((hit) => hit.url)).not.toContain("https://docs.example.com/corpus/deploy.html");
    expect(denied.length).toBe(all.length - 1);
  });

  it("serves pages the fetcher and extractor can read", async () => {
    const pageServer = await startServer({
      "/corpus/deploy.html": (_request, response) => {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        createReadStream(join(out, "deploy.html")).pipe(response);
      },
    });
    try {
      const provider = createLocalIndexProvider({
        loadIndex: async () => JSON.parse(await readFile(join(out, "index.json"), "utf8")),
        baseUrl: `${pageServer.origin}/corpus/`,
      });
      const [hit] = await provider.search("wrangler deploy", { limit: 1 });
      const outcome = await createPageFetcher({ fetch, allowHosts: [pageServer.host] })(hit?.url ?? "");
      expect(outcome.ok).toBe(true);
      if (outcome.ok) {
        const page = extractPage(outcome.body, outcome.finalUrl);
        expect(page.title).toBe("Deploying to Workers");
        expect(page.text).toContain("- Six simultaneous connections");
      }
    } finally {
      await pageServer.close();
    }
  });

  it("reports a missing or malformed index as a config error", async () => {
    const missing = createLocalIndexProvider({ loadIndex: async () => Promise.reject(new Error("ENOENT")), baseUrl: "http://x/corpus/" });
    const error = await missing.search("q", { limit: 1 }).catch((caught: unknown) => caught);
    expect(isSearchError(error) && error.kind).toBe("config");
    const malformed = createLocalIndexProvider({ loadIndex: async () => ({ version: 99 }), baseUrl: "http://x/corpus/" });
    const second = await malformed.search("q", { limit: 1 }).catch((caught: unknown) => caught);
    expect(isSearchError(second) && second.kind).toBe("config");
    const corrupted = JSON.parse(await readFile(join(out, "index.json"), "utf8"));
    corrupted.index.index[0][1] = { 0: { 0: "not a number" } };
    const third = await createLocalIndexProvider({ loadIndex: async () => corrupted, baseUrl: "http://x/corpus/" })
      .search("q", { limit: 1 })
      .catch((caught: unknown) => caught);
    expect(isSearchError(third) && third.kind).toBe("config");
  });
});
