/**
 * Site index benchmark (docs/BENCHMARKS.md, "Sites"): the D1 FTS5 site index beside minisearch on
 * the same passages, both inside workerd (`wrangler dev`, local D1 on SQLite):
 * - index build rate in pages per second (D1: passage rows + one atomic batch per page, in requests
 *   of 25 pages; minisearch: the same passages added in memory, in one request);
 * - query latency p50/p95 at about 1 000 and 10 000 passages (one query per request, sequential,
 *   timed from outside; an empty request's latency is shown as the floor);
 * - index size per 1 000 pages (D1: the database size it reports, `meta.size_after`; minisearch:
 *   its serialized JSON, what a worker would ship or store).
 * Pages: the 121 real pages of test/fixtures/extraction, extracted once in Node, repeated under
 * distinct URLs until the passage target is reached. Queries: 200 word windows drawn (seeded) from
 * the same texts.
 *
 *   npx tsx bench/site-index/run.ts [--scales 1000,10000] [--queries 200]
 */
import { execSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, startProcess, stopProcess, waitForUrl } from "../../scripts/processes";
import { WRANGLER_QUIET_ENV } from "../../scripts/stack";
import { extractPage } from "../../search/extract";
import { passageRows } from "../../search/site-index/passage-rows";
import { loadFixturePages } from "../extract/fixtures";

const ROOT = join(import.meta.dirname, "..", "..");
const { values } = parseArgs({ options: { scales: { type: "string", default: "1000,10000" }, queries: { type: "string", default: "200" } } });
const SCALES = (values.scales ?? "1000,10000").split(",").map(Number);
const QUERY_COUNT = Number(values.queries);
const PAGES_PER_REQUEST = 25;

interface BenchPage {
  url: string;
  title: string;
  text: string;
  passages: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** mulberry32: a small seeded generator, so every run asks the same questions. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function basePages(): Array<Omit<BenchPage, "url">> {
  return loadFixturePages().flatMap((fixture) => {
    const page = extractPage(fixture.html, fixture.url);
    const passages = passageRows(page).length;
    return passages > 0 ? [{ title: page.title || fixture.url, text: page.text, passages }] : [];
  });
}

function pagesFor(target: number, base: ReturnType<typeof basePages>): BenchPage[] {
  const pages: BenchPage[] = [];
  let passages = 0;
  for (let i = 0; passages < target; i++) {
    const source = base[i % base.length]!;
    pages.push({ ...source, url: `https://bench.example/${Math.floor(i / base.length)}/${i % base.length}` });
    passages += source.passages;
  }
  return pages;
}

function queriesFrom(base: ReturnType<typeof basePages>, count: number): string[] {
  const random = seeded(17);
  const queries: string[] = [];
  while (queries.length < count) {
    const words = base[Math.floor(random() * base.length)]!.text.split(/\s+/).filter((word) => /\p{L}{3,}/u.test(word));
    if (words.length < 8) continue;
    const length = 2 + Math.floor(random() * 3);
    const start = Math.floor(random() * (words.length - length));
    queries.push(words.slice(start, start + length).join(" "));
  }
  return queries;
}

async function timed(run: () => Promise<Response>): Promise<{ ms: number; body: unknown }> {
  const started = performance.now();
  const response = await run();
  const text = await response.text();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.slice(0, 400)}`);
  return { ms, body: JSON.parse(text) };
}

async function latencies(base: string, path: string, queries: string[]): Promise<number[]> {
  for (const query of queries.slice(0, 20)) await timed(() => fetch(`${base}${path}?q=${encodeURIComponent(query)}`));
  const out: number[] = [];
  for (const query of queries) out.push((await timed(() => fetch(`${base}${path}?q=${encodeURIComponent(query)}`))).ms);
  return out.sort((a, b) => a - b);
}

async function runScale(target: number, base: ReturnType<typeof basePages>, queries: string[]) {
  const pages = pagesFor(target, base);
  const dir = mkdtempSync(join(tmpdir(), "megrez-bench-sites-"));
  const [port, inspector] = [await freePort(), await freePort()];
  const worker = startProcess({
    name: "bench-worker",
    command: process.execPath,
    args: [
      join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      "-c",
      join(ROOT, "bench/site-index/wrangler.toml"),
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      "--persist-to",
      join(dir, "state"),
      "--show-interactive-dev-session=false",
    ],
    cwd: ROOT,
    env: WRANGLER_QUIET_ENV,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForUrl(`${url}/noop`, worker, 120_000);
    const post = (path: string, body: unknown) => () =>
      fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const strip = (page: BenchPage) => ({ url: page.url, title: page.title, text: page.text });
    let d1Ms = 0;
    let passages = 0;
    for (let i = 0; i < pages.length; i += PAGES_PER_REQUEST) {
      const { ms, body } = await timed(post("/index", pages.slice(i, i + PAGES_PER_REQUEST).map(strip)));
      d1Ms += ms;
      passages += (body as { passages: number }).passages;
    }
    const mini = await timed(post("/minisearch/build", pages.map(strip)));
    const size = (await timed(() => fetch(`${url}/size`))).body as { pages: number; passages: number; bytes: number };
    const miniBody = mini.body as { passages: number; serializedBytes: number };
    return {
      target,
      pages: pages.length,
      passages,
      textBytes: pages.reduce((sum, page) => sum + Buffer.byteLength(page.text), 0),
      d1PagesPerSecond: pages.length / (d1Ms / 1000),
      miniPagesPerSecond: pages.length / (mini.ms / 1000),
      d1BytesPer1000: (size.bytes / size.pages) * 1000,
      miniBytesPer1000: (miniBody.serializedBytes / pages.length) * 1000,
      noop: await latencies(url, "/noop", queries),
      site: await latencies(url, "/query/site", queries),
      mini: await latencies(url, "/query/minisearch", queries),
    };
  } finally {
    await stopProcess(worker);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const load = execSync("uptime").toString().trim();
  const base = basePages();
  const queries = queriesFrom(base, QUERY_COUNT);
  console.log(`load before: ${load}`);
  console.log(`${base.length} real pages (test/fixtures/extraction), ${queries.length} queries; workerd under wrangler dev, local D1 (SQLite)`);
  const rows = [];
  for (const scale of SCALES) rows.push(await runScale(scale, base, queries));
  console.log(
    "\n| passages (pages) | D1 build pages/s | minisearch build pages/s | D1 query p50 / p95 ms | minisearch query p50 / p95 ms | empty request p50 ms | D1 size per 1 000 pages | minisearch JSON per 1 000 pages | page text per 1 000 pages |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  for (const row of rows) {
    console.log(
      `| ${row.passages} (${row.pages}) | ${row.d1PagesPerSecond.toFixed(0)} | ${row.miniPagesPerSecond.toFixed(0)} | ${percentile(row.site, 50).toFixed(1)} / ${percentile(row.site, 95).toFixed(1)} | ${percentile(row.mini, 50).toFixed(1)} / ${percentile(row.mini, 95).toFixed(1)} | ${percentile(row.noop, 50).toFixed(1)} | ${mb(row.d1BytesPer1000)} | ${mb(row.miniBytesPer1000)} | ${mb((row.textBytes / row.pages) * 1000)} |`,
    );
  }
  console.log(`\nload after: ${execSync("uptime").toString().trim()}`);
}

await main();
