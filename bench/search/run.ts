/**
 * Local-search benchmark on the shipped corpus (docs/ by default): index build time (read, render
 * pages, build and serialize the minisearch index), index load time (parse + zod validation +
 * minisearch load, what a worker isolate pays once), and query latency p50/p95 through the local
 * provider. Also passage selection latency on the extraction fixtures (extract once, rank per question).
 *   npx tsx bench/search/run.ts [--corpus docs] [--repeat 20]
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildIndex } from "../../scripts/build-index";
import { extractPage } from "../../search/extract";
import { selectPassages } from "../../search/passages";
import { createLocalIndexProvider } from "../../search/providers/local-index";
import { loadCorpusIndex } from "../../search/corpus/corpus-index";
import { loadFixturePages } from "../extract/fixtures";

const QUERIES = [
  "how does the agent decide to search",
  "SSE event stream format",
  "rate limit api keys",
  "scheduled digest cron",
  "onnx runtime kv cache",
  "citation numbering",
  "widget embed script",
  "error codes",
  "session history",
  "model server health",
  "中文 搜索",
  "deploy wrangler",
];

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { corpus: { type: "string", default: "docs" }, repeat: { type: "string", default: "20" } } });
  const corpus = values.corpus ?? "docs";
  const repeat = Math.max(1, Number.parseInt(values.repeat ?? "20", 10));
  const out = await mkdtemp(join(tmpdir(), "megrez-bench-index-"));
  try {
    const builds: number[] = [];
    let report = await buildIndex({ corpus, out });
    for (let round = 0; round < 5; round++) {
      report = await buildIndex({ corpus, out });
      builds.push(report.milliseconds);
    }
    const raw = await readFile(join(out, "index.json"), "utf8");
    const loads: number[] = [];
    for (let round = 0; round < 10; round++) {
      const started = performance.now();
      const loaded = loadCorpusIndex(JSON.parse(raw));
      if (!loaded.ok) throw new Error(loaded.error);
      loads.push(performance.now() - started);
    }
    const provider = createLocalIndexProvider({ loadIndex: async () => JSON.parse(raw), baseUrl: "http://127.0.0.1:8787/corpus/" });
    await provider.search("warm up", { limit: 5 });
    const latencies: number[] = [];
    let hits = 0;
    for (let round = 0; round < repeat; round++) {
      for (const query of QUERIES) {
        const started = performance.now();
        hits += (await provider.search(query, { limit: 5 })).length;
        latencies.push(performance.now() - started);
      }
    }

    const pages = loadFixturePages()
      .slice(0, 40)
      .map((page) => extractPage(page.html, page.url));
    const passageLatencies: number[] = [];
    for (const page of pages) {
      const question = page.title || "what happened";
      const started = performance.now();
      await selectPassages(page, question, { budgetTokens: 2048 });
      passageLatencies.push(performance.now() - started);
    }

    console.log(
      `Local search benchmark: corpus "${corpus}" (${report.documents} documents, index.json ${(report.indexBytes / 1024).toFixed(1)} KiB), Node ${process.version}\n`,
    );
    console.log("| measure | p50 ms | p95 ms |");
    console.log("| --- | --- | --- |");
    console.log(
      `| index build (read + render pages + index + write), 5 runs | ${percentile(builds, 0.5).toFixed(1)} | ${percentile(builds, 0.95).toFixed(1)} |`,
    );
    console.log(`| index load (JSON.parse + zod + minisearch), 10 runs | ${percentile(loads, 0.5).toFixed(2)} | ${percentile(loads, 0.95).toFixed(2)} |`);
    console.log(
      `| query via local provider, ${latencies.length} queries (${(hits / latencies.length).toFixed(1)} hits avg) | ${percentile(latencies, 0.5).toFixed(3)} | ${percentile(latencies, 0.95).toFixed(3)} |`,
    );
    console.log(
      `| selectPassages (2048-token budget) on ${pages.length} extracted fixture pages | ${percentile(passageLatencies, 0.5).toFixed(2)} | ${percentile(passageLatencies, 0.95).toFixed(2)} |`,
    );
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

await main();
