/**
 * Extraction benchmark on the 121 real pages of test/fixtures/extraction, in one run:
 * F1/precision/recall (the README's shingle metric) and pages/s for our extractPage versus
 * @mozilla/readability 0.6.0 on linkedom, plus the published peer outputs' scores and parse-only
 * baselines. Rounds alternate between extractors so machine load hits both alike; the speed ratio
 * uses the median round of each.
 *   npx tsx bench/extract/run.ts [--rounds 3]
 */
import { parseArgs } from "node:util";
import { Readability } from "@mozilla/readability";
import { load } from "cheerio/slim";
import { parseHTML } from "linkedom";
import { extractPage } from "../../search/extract";
import { listPeers, loadFixturePages, loadPeerOutputs, type FixturePage } from "./fixtures";
import { scoreCorpus, scorePage, type CorpusScore } from "./metric";

interface Round {
  seconds: number;
  latencies: number[];
  outputs: string[];
}

function runRound(pages: FixturePage[], extract: (page: FixturePage) => string): Round {
  const latencies: number[] = [];
  const outputs: string[] = [];
  const started = performance.now();
  for (const page of pages) {
    const pageStart = performance.now();
    outputs.push(extract(page));
    latencies.push(performance.now() - pageStart);
  }
  return { seconds: (performance.now() - started) / 1000, latencies, outputs };
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0;
}

function median(values: number[]): number {
  return percentile(values, 0.5);
}

const ours = (page: FixturePage): string => extractPage(page.html, page.url).text;
const readability = (page: FixturePage): string => {
  const { document } = parseHTML(page.html);
  return new Readability(document).parse()?.textContent ?? "";
};
const cheerioParseOnly = (page: FixturePage): string => {
  load(page.html);
  return "";
};

function score(pages: FixturePage[], outputs: string[]): CorpusScore {
  return scoreCorpus(pages.map((page, index) => scorePage(page.truth, outputs[index] ?? "")));
}

const format = (value: number, digits = 3): string => value.toFixed(digits);

function main(): void {
  const { values } = parseArgs({ options: { rounds: { type: "string", default: "3" } } });
  const rounds = Math.max(1, Number.parseInt(values.rounds ?? "3", 10));
  const pages = loadFixturePages();
  const megabytes = pages.reduce((sum, page) => sum + page.bytes, 0) / 1e6;
  // Warm-up so both sides run JIT-compiled code.
  for (const page of pages.slice(0, 10)) {
    ours(page);
    readability(page);
  }
  const runs: Record<"ours" | "readability" | "parse", Round[]> = { ours: [], readability: [], parse: [] };
  for (let round = 0; round < rounds; round++) {
    runs.ours.push(runRound(pages, ours));
    runs.readability.push(runRound(pages, readability));
    runs.parse.push(runRound(pages, cheerioParseOnly));
  }
  const pagesPerSecond = (list: Round[]): number => median(list.map((round) => pages.length / round.seconds));
  const oursScore = score(pages, runs.ours[0]?.outputs ?? []);
  const readabilityScore = score(pages, runs.readability[0]?.outputs ?? []);
  const oursSpeed = pagesPerSecond(runs.ours);
  const readabilitySpeed = pagesPerSecond(runs.readability);
  const latencies = (list: Round[]): number[] => list.flatMap((round) => round.latencies);

  console.log(`Extraction benchmark: ${pages.length} pages, ${format(megabytes, 1)} MB of HTML, ${rounds} alternating rounds, Node ${process.version}\n`);
  console.log("| extractor | F1 | precision | recall | accuracy | pages/s (median round) | p50 ms | p95 ms |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  console.log(
    `| megrez-edge extractPage (cheerio/slim) | ${format(oursScore.f1)} | ${format(oursScore.precision)} | ${format(oursScore.recall)} | ${format(oursScore.accuracy)} | ${format(oursSpeed, 1)} | ${format(percentile(latencies(runs.ours), 0.5), 2)} | ${format(percentile(latencies(runs.ours), 0.95), 2)} |`,
  );
  console.log(
    `| @mozilla/readability 0.6.0 + linkedom (this run) | ${format(readabilityScore.f1)} | ${format(readabilityScore.precision)} | ${format(readabilityScore.recall)} | ${format(readabilityScore.accuracy)} | ${format(readabilitySpeed, 1)} | ${format(percentile(latencies(runs.readability), 0.5), 2)} | ${format(percentile(latencies(runs.readability), 0.95), 2)} |`,
  );
  console.log(
    `| cheerio/slim parse only | — | — | — | — | ${format(pagesPerSecond(runs.parse), 1)} | ${format(percentile(latencies(runs.parse), 0.5), 2)} | ${format(percentile(latencies(runs.parse), 0.95), 2)} |`,
  );
  for (const peer of listPeers()) {
    const outputs = loadPeerOutputs(peer);
    const peerScore = score(
      pages,
      pages.map((page) => outputs.get(page.id) ?? ""),
    );
    console.log(
      `| published output: ${peer} | ${format(peerScore.f1)} | ${format(peerScore.precision)} | ${format(peerScore.recall)} | ${format(peerScore.accuracy)} | — | — | — |`,
    );
  }
  console.log(`\nspeed ratio (ours / Readability+linkedom, median rounds): ${format(oursSpeed / readabilitySpeed, 2)}x`);
  console.log(`F1 difference vs Readability+linkedom: ${oursScore.f1 >= readabilityScore.f1 ? "+" : ""}${format(oursScore.f1 - readabilityScore.f1)}`);
}

main();
