// The pre-parse strip: comments, scripts (not JSON-LD), styles and inline SVG go; text stays;
// unclosed script/comment run to the end like in HTML; hostile repetitions stay linear.
import { describe, expect, it } from "vitest";
import { MAX_DEPTH, stripInert } from "../../../search/extract/strip-inert";

describe("stripInert", () => {
  it("removes inert markup and keeps content and JSON-LD", () => {
    const html = `<p>a</p><!-- c --><SCRIPT type="text/javascript">if (a</b) x("</div>")</SCRIPT ><p>b</p><style>p{}</style><svg viewBox="0 0"><path/></svg><svg-icon>keep</svg-icon><script type="application/ld+json">{"x":1}</script><p>c</p>`;
    expect(stripInert(html)).toBe(`<p>a</p><p>b</p><svg-icon>keep</svg-icon><script type="application/ld+json">{"x":1}</script><p>c</p>`);
  });

  it("follows HTML for unclosed scripts and comments, and leaves an unclosed svg", () => {
    expect(stripInert("<p>a</p><script>var x = 1; <p>never text</p>")).toBe("<p>a</p>");
    expect(stripInert("<p>a</p><!-- open <p>b</p>")).toBe("<p>a</p>");
    expect(stripInert("<p>a</p><svg><p>b</p>")).toBe("<p>a</p><svg><p>b</p>");
  });

  it("cuts the document where nesting passes the cap, not counting implicitly closed tags", () => {
    const deep = `${"<div>".repeat(MAX_DEPTH + 5)}lost`;
    expect(stripInert(deep)).toBe("<div>".repeat(MAX_DEPTH));
    const flat = `${"<p>para".repeat(5000)}${"<li>item<br>".repeat(5000)}<div/>end`;
    expect(stripInert(flat)).toBe(flat);
    expect(stripInert(`${"<div></div>".repeat(5000)}end`)).toContain("end");
  });

  it("stays fast on many unclosed openers", () => {
    const started = performance.now();
    stripInert("<svg>".repeat(200_000));
    stripInert("<scripts <styles ".repeat(200_000));
    stripInert(`<script>${"</scrip".repeat(200_000)}`);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
