/**
 * Search from the command line:
 *   npm run search -- "query" [--provider local|serper|searxng|brave|tavily] [--limit 5] [--json]
 *                            [--index dist/assets/corpus/index.json] [--base-url http://127.0.0.1:8787/corpus/]
 * Keys and URLs come from the environment (SEARCH_PROVIDER, SERPER_API_KEY, SEARXNG_URL,
 * BRAVE_API_KEY, TAVILY_API_KEY). The default provider is the local corpus index; if its index has
 * not been built yet it is built from docs/ first.
 */
import { access, readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { z } from "zod";
import { createSearchProvider, isSearchError, isSearchProviderName, SEARCH_PROVIDER_NAMES, type SearchProviderDeps } from "../search/providers/index";
import { buildIndex } from "./build-index";

const environmentSchema = z.object({
  SEARCH_PROVIDER: z.string().optional(),
  SERPER_API_KEY: z.string().optional(),
  SEARXNG_URL: z.string().optional(),
  BRAVE_API_KEY: z.string().optional(),
  TAVILY_API_KEY: z.string().optional(),
  LOCAL_CORPUS_BASE_URL: z.string().optional(),
});

const USAGE = `usage: npm run search -- "query" [--provider ${SEARCH_PROVIDER_NAMES.join("|")}] [--limit N] [--json] [--index FILE] [--base-url URL]`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      provider: { type: "string" },
      limit: { type: "string", default: "5" },
      json: { type: "boolean", default: false },
      index: { type: "string", default: "dist/assets/corpus/index.json" },
      "base-url": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  const query = positionals.join(" ").trim();
  if (values.help || query === "") {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const environment = environmentSchema.parse(process.env);
  const name = values.provider ?? environment.SEARCH_PROVIDER ?? "local";
  if (!isSearchProviderName(name)) {
    console.error(`unknown provider "${name}"; one of ${SEARCH_PROVIDER_NAMES.join(", ")}`);
    return 2;
  }
  const limit = Number.parseInt(values.limit ?? "5", 10);
  if (!Number.isInteger(limit) || limit < 1 || limit > 50) {
    console.error("--limit must be an integer from 1 to 50");
    return 2;
  }
  const indexPath = values.index ?? "dist/assets/corpus/index.json";
  if (name === "local") {
    const exists = await access(indexPath).then(
      () => true,
      () => false,
    );
    if (!exists && indexPath === "dist/assets/corpus/index.json") {
      const report = await buildIndex({ corpus: "docs", out: "dist/assets/corpus" });
      console.error(`(built the local index: ${report.documents} documents from docs/)`);
    }
  }
  const apiKeys: Record<string, string | undefined> = {
    serper: environment.SERPER_API_KEY,
    brave: environment.BRAVE_API_KEY,
    tavily: environment.TAVILY_API_KEY,
  };
  const baseUrl =
    name === "local"
      ? (values["base-url"] ?? environment.LOCAL_CORPUS_BASE_URL ?? "http://127.0.0.1:8787/corpus/")
      : name === "searxng"
        ? environment.SEARXNG_URL
        : undefined;
  const apiKey = apiKeys[name];
  const deps: SearchProviderDeps = {
    fetch,
    loadIndex: async () => JSON.parse(await readFile(indexPath, "utf8")),
    ...(baseUrl ? { baseUrl } : {}),
    ...(apiKey ? { apiKey } : {}),
  };
  const provider = createSearchProvider(name, deps);
  const results = await provider.search(query, { limit });
  if (values.json) {
    for (const result of results) console.log(JSON.stringify(result));
    return 0;
  }
  if (results.length === 0) console.log(`no results from ${provider.name} for "${query}"`);
  for (const result of results) {
    console.log(`${result.rank}. ${result.title}\n   ${result.url}${result.publishedAt ? `  (${result.publishedAt})` : ""}\n   ${result.snippet}\n`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (isSearchError(error)) console.error(`search failed (${error.kind}${error.status ? `, HTTP ${error.status}` : ""}): ${error.message}`);
    else console.error(`search failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
