/**
 * The local corpus's Markdown → HTML (search/corpus/markdown-html.ts): what `npm run search`
 * shows as snippets comes from this HTML, so identifiers and code must survive it.
 */
import { describe, expect, it } from "vitest";
import { excerptOf } from "../../../search/corpus/corpus-index";
import { markdownToHtml } from "../../../search/corpus/markdown-html";

describe("corpus markdown", () => {
  it("keeps underscores in words and code", () => {
    const html = markdownToHtml("Set API_KEYS and `MAX_BODY_BYTES`; hosts match `[A-Za-z0-9._-]`.");
    expect(html).toContain("API_KEYS");
    expect(html).toContain("<code>MAX_BODY_BYTES</code>");
    expect(html).toContain("<code>[A-Za-z0-9._-]</code>");
  });

  it("renders emphasis with underscores and asterisks, tables, lists and fenced code", () => {
    const html = markdownToHtml(
      ["# Title", "", "Some _em_ and **strong** text.", "", "| a | b |", "| - | - |", "| 1 | 2 |", "", "- one", "- two", "", "```sh", "npm test", "```"].join(
        "\n",
      ),
    );
    expect(html).toContain("<h1>Title</h1>");
    expect(html).toContain("<em>em</em>");
    expect(html).toContain("<strong>strong</strong>");
    expect(html).toMatch(/<table>[\s\S]*<td>1<\/td>[\s\S]*<\/table>/);
    expect(html).toMatch(/<ul>\s*<li>one<\/li>/);
    expect(html).toContain("npm test");
  });

  it("never passes markup or script links through", () => {
    const html = markdownToHtml('<img src=x onerror="alert(1)"> and [x](javascript:alert(1)) and [ok](https://example.com/)');
    expect(html).not.toContain("<img");
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('<a href="https://example.com/">ok</a>');
  });
});

describe("corpus excerpts", () => {
  it("drop Markdown markup but keep underscores and brackets inside words", () => {
    const excerpt = excerptOf("# API\n\n- **API keys** (`API_KEYS`, a secret): send _them_ as a Bearer token.\n\n> Ids match `[A-Za-z0-9._-]{1,64}`.");
    expect(excerpt).toBe("API keys (API_KEYS, a secret): send them as a Bearer token. Ids match [A-Za-z0-9._-]{1,64}.");
  });
});
