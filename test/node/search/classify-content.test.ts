// Bot-challenge detection: real interstitials are caught, pages that merely talk about them are not.
import { describe, expect, it } from "vitest";
import { isBotChallenge } from "../../../search/fetch/classify-content";

const prose = "The fetcher recognises bot-management interstitials by their markers and skips them. ".repeat(40);

describe("isBotChallenge", () => {
  it("catches challenge pages, with a challenge status or with next to no text", () => {
    const interstitial = "<html><head><title>Just a moment...</title></head><body><script>window._cf_chl_opt={}</script>Checking</body></html>";
    expect(isBotChallenge(new Headers(), 503, interstitial)).toBe(true);
    expect(isBotChallenge(new Headers(), 200, interstitial)).toBe(true);
    expect(isBotChallenge(new Headers({ "cf-mitigated": "challenge" }), 200, "<html><body>long page</body></html>")).toBe(true);
  });

  it("reads a documentation page (HTTP 200) that quotes the markers", () => {
    // docs/search.md, as the corpus serves it, names "Just a moment..." and `_cf_chl_opt` in its text.
    const docs = `<html><head><title>Search and pages</title></head><body><main><p>${prose}</p><p>Blocks: challenge pages ("Just a moment...", <code>_cf_chl_opt</code>, PerimeterX markers) are reported as bot-challenge.</p><p>${prose}</p></main></body></html>`;
    expect(isBotChallenge(new Headers(), 200, docs)).toBe(false);
  });
});
