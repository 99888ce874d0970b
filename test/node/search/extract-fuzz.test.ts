// Hostile and malformed HTML must never make extraction throw or run away: deep nesting (stack
// depth), huge attributes, unclosed tags, random bytes and tag soup from a seeded generator.
import { describe, expect, it } from "vitest";
import { extractPage } from "../../../search/extract";

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

const TAGS = [
  "div",
  "p",
  "span",
  "table",
  "tr",
  "td",
  "ul",
  "li",
  "pre",
  "code",
  "h2",
  "a",
  "script",
  "style",
  "article",
  "br",
  "img",
  "blockquote",
  "section",
  "font",
];

function tagSoup(random: () => number, length: number): string {
  const parts: string[] = [];
  for (let index = 0; index < length; index++) {
    const roll = random();
    const tag = TAGS[Math.floor(random() * TAGS.length)] ?? "div";
    if (roll < 0.35) parts.push(`<${tag}${random() < 0.3 ? ` class="content x${index}"` : ""}>`);
    else if (roll < 0.55) parts.push(`</${tag}>`);
    else if (roll < 0.6) parts.push(String.fromCharCode(Math.floor(random() * 0xffff)));
    else if (roll < 0.65) parts.push(["<!--", "-->", "<![CDATA[", "&#x", "&amp", "<", ">", '"', "<!doctype"][Math.floor(random() * 9)] ?? "");
    else parts.push("lorem ipsum, dolor sit amet ".repeat(1 + Math.floor(random() * 5)));
  }
  return parts.join("");
}

function timed(html: string): number {
  const started = performance.now();
  const page = extractPage(html, "https://fuzz.example/");
  expect(typeof page.text).toBe("string");
  expect(typeof page.title).toBe("string");
  return performance.now() - started;
}

describe("extractPage on hostile HTML", () => {
  it("survives 100,000 levels of nesting quickly (depth is capped before parsing)", () => {
    expect(timed(`${"<div>".repeat(100_000)}deep text, with commas, and more words here${"</div>".repeat(100_000)}`)).toBeLessThan(3_000);
    expect(timed(`${"<p><span>".repeat(50_000)}x`)).toBeLessThan(3_000);
    expect(timed(`<table>${"<tr><td><table>".repeat(30_000)}cell`)).toBeLessThan(3_000);
    expect(timed(`${"<font>".repeat(300)}<p>kept, because 300 levels is under the cap</p>`)).toBeLessThan(3_000);
  });

  it("survives huge attributes and huge text", () => {
    expect(timed(`<div class="${"a".repeat(2_000_000)}"><p>${"word, ".repeat(1000)}</p></div>`)).toBeLessThan(10_000);
    expect(timed(`<p>${"x".repeat(3_000_000)}</p>`)).toBeLessThan(10_000);
    expect(timed(`<table>${"<tr><td>cell</td></tr>".repeat(50_000)}</table>`)).toBeLessThan(10_000);
  });

  it("survives seeded tag soup and random characters", () => {
    const random = seededRandom(20261126);
    for (let round = 0; round < 200; round++) {
      expect(timed(tagSoup(random, 50 + Math.floor(random() * 2000)))).toBeLessThan(5_000);
    }
  });

  it("survives broken JSON-LD and odd metadata", () => {
    const html = `<html lang="🙂"><head><script type="application/ld+json">{"@graph": [ {"datePublished": 12}, </script>
<meta property="article:published_time" content="not a date"><link rel="canonical" href="javascript:alert(1)"></head><body><p>text text text text text text text</p></body></html>`;
    const page = extractPage(html, "https://fuzz.example/");
    expect(page.canonicalUrl).toBeUndefined();
    expect(page.publishedAt).toBeUndefined();
    expect(page.language).toBeUndefined();
  });
});
