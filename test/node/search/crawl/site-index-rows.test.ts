// Index rows from an extracted page (headings, CJK terms) and the full-text query built from a question.
import { describe, expect, it } from "vitest";
import { matchExpression, siteToken } from "../../../../search/site-index/fts-query";
import { passageRows } from "../../../../search/site-index/passage-rows";

describe("passage rows", () => {
  it("gives each passage the heading trail it sits under and its terms, Chinese as bigrams", () => {
    const text = [
      "# Guide",
      `${"Intro text about the guide. ".repeat(10)}`,
      "## Install",
      `${"Install the zephyrine package first. ".repeat(8)}`,
      "### 中文说明",
      "这是中文分词测试。",
    ].join("\n\n");
    const rows = passageRows({ title: "Acme Guide", text });
    expect(rows.map((row) => row.headings)).toEqual(["Guide", "Guide › Install", "Guide › Install › 中文说明"]);
    expect(rows[0]?.titleTerms).toBe("acme guide");
    expect(rows[2]?.bodyTerms.split(" ")).toEqual(expect.arrayContaining(["中文", "文分", "分词", "词测", "测试"]));
    expect(rows.map((row) => row.position)).toEqual([0, 1, 2]);
  });
});

describe("the full-text query", () => {
  it("quotes every term, ORs them over the text columns and ANDs the site column", () => {
    expect(matchExpression('How do I "rotate" keys? OR NEAR(x)', ["site_0123456789ab"])).toBe(
      '{site} : ("ssite0123456789ab") AND {title headings body} : ("rotate" OR "keys" OR "near" OR "x")',
    );
    expect(matchExpression("中文分词", ["site_a", "site_b"])).toBe('{site} : ("ssitea" OR "ssiteb") AND {title headings body} : ("中文" OR "文分" OR "分词")');
    expect(matchExpression("the of and", ["site_a"])).toBeUndefined();
    expect(matchExpression("keys", [])).toBeUndefined();
    expect(siteToken("site_0123456789ab")).toBe("ssite0123456789ab");
  });
});
