/** Quick F1 check of extractPage on the fixtures, with the worst pages listed (development aid). */
import { extractPage } from "../../search/extract";
import { loadFixturePages } from "./fixtures";
import { scoreCorpus, scorePage } from "./metric";

const pages = loadFixturePages();
const started = performance.now();
const results = pages.map((page) => ({ page, score: scorePage(page.truth, extractPage(page.html, page.url).text) }));
const elapsed = performance.now() - started;
console.log(scoreCorpus(results.map((result) => result.score)), `${((pages.length / elapsed) * 1000).toFixed(1)} pages/s`);
const worst = results
  .map(({ page, score }) => ({ id: page.id.slice(0, 8), p: score.tp / (score.tp + score.fp || 1), r: score.tp / (score.tp + score.fn || 1), url: page.url }))
  .sort((a, b) => Math.min(a.p, a.r) - Math.min(b.p, b.r))
  .slice(0, Number(process.argv[2] ?? 15));
for (const row of worst) console.log(row.id, row.p.toFixed(2), row.r.toFixed(2), row.url);
const { load } = await import("cheerio/slim");
const parseStart = performance.now();
for (const page of pages) load(page.html);
console.log(`parse only: ${((pages.length / (performance.now() - parseStart)) * 1000).toFixed(1)} pages/s`);
