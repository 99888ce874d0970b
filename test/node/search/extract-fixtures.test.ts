// Extraction quality floor on the 121 real pages of test/fixtures/extraction, scored with the
// README's exact shingle metric. The benchmark (bench/extract/run.ts) reports the full comparison.
import { describe, expect, it } from "vitest";
import { extractPage } from "../../../search/extract";
import { loadFixturePages, loadPeerOutputs } from "../../../bench/extract/fixtures";
import { scoreCorpus, scorePage } from "../../../bench/extract/metric";

describe("extractPage on the real-page fixtures", () => {
  const pages = loadFixturePages();

  it("loads all annotated pages", () => {
    expect(pages.length).toBe(121);
  });

  it("reaches the F1 floor of 0.95 with the README metric", () => {
    const score = scoreCorpus(pages.map((page) => scorePage(page.truth, extractPage(page.html, page.url).text)));
    expect(score.f1).toBeGreaterThanOrEqual(0.95);
    expect(score.precision).toBeGreaterThan(0.9);
    expect(score.recall).toBeGreaterThan(0.9);
  });

  it("scores the published Readability.js output at its published F1 (metric check)", () => {
    const readability = loadPeerOutputs("readability_js");
    const score = scoreCorpus(pages.map((page) => scorePage(page.truth, readability.get(page.id) ?? "")));
    expect(score.f1).toBeCloseTo(0.942, 3);
  });
});
