// Golden-output tests for extraction: structure kept as Markdown-ish text, boilerplate dropped,
// metadata read from the places CMSs put it.
import { describe, expect, it } from "vitest";
import { extractPage } from "../../../search/extract";

const filler = "The committee met on Tuesday, reviewed the budget, and agreed on the plan for next year. ";

const article = `<!doctype html><html lang="en-GB"><head>
<title>Budget agreed | The Daily Example</title>
<meta property="og:title" content="Budget agreed">
<meta property="article:published_time" content="2024-03-05T10:00:00Z">
<link rel="canonical" href="/news/budget-agreed">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<header class="site-header"><a href="/">The Daily Example</a></header>
<div class="layout"><article class="post-content">
<h1>Budget agreed</h1>
<div class="byline-wrap">By Jane Doe</div>
<p>Updated March 5, 2024 10:00 GMT</p>
<p>${filler.repeat(3)}</p>
<p>According to <span><a href="/report">the annual report</a></span>, spending rises by a tenth, the chair said on <span>Tuesday</span>.</p>
<p>Read more: <a href="/other">Council approves the new library plan</a></p>
<h2>What changes</h2>
<ul><li>Parks get more money</li><li>Roads get less</li></ul>
<ol start="3"><li>third</li><li>fourth</li></ol>
<p>${filler.repeat(2)}</p>
<table><tr><th>Item</th><th>Amount</th></tr><tr><td>Parks</td><td>1,000</td></tr></table>
<pre><code>total = parks + roads
print(total)</code></pre>
<blockquote><p>We are pleased, said the chair, with the outcome.</p></blockquote>
<div class="share-buttons"><a href="#">Share on X</a> <a href="#">Share on Facebook</a></div>
<h3>Related stories</h3>
<p><a href="/a">Another story that is long enough to count as a paragraph</a></p>
</article>
<aside class="sidebar"><p>${filler}</p></aside></div>
<footer>Copyright 2024</footer>
<script>var x = "not text";</script>
</body></html>`;

describe("extractPage structure", () => {
  const page = extractPage(article, "https://example.com/news/budget-agreed?utm=1");

  it("reads metadata", () => {
    expect(page.title).toBe("Budget agreed");
    expect(page.canonicalUrl).toBe("https://example.com/news/budget-agreed");
    expect(page.publishedAt).toBe("2024-03-05T10:00:00.000Z");
    expect(page.language).toBe("en-GB");
    expect(page.url).toBe("https://example.com/news/budget-agreed?utm=1");
  });

  it("keeps headings, lists, tables, code and quotes as Markdown-ish text", () => {
    expect(page.text).toContain("## What changes");
    expect(page.text).toContain("- Parks get more money\n- Roads get less");
    expect(page.text).toContain("3. third\n4. fourth");
    expect(page.text).toContain("| Item | Amount |\n| --- | --- |\n| Parks | 1,000 |");
    expect(page.text).toContain("```\ntotal = parks + roads\nprint(total)\n```");
    expect(page.text).toContain("> We are pleased, said the chair, with the outcome.");
  });

  it("keeps inline spans and links inside sentences (regression: span-wrapped links were dropped)", () => {
    expect(page.text).toContain("According to the annual report, spending rises by a tenth, the chair said on Tuesday.");
  });

  it("drops bylines, date stamps and read-more teasers", () => {
    expect(page.text).not.toContain("Jane Doe");
    expect(page.text).not.toContain("Updated March");
    expect(page.text).not.toContain("Read more");
  });

  it("drops navigation, chrome, the repeated title and everything after a related-stories heading", () => {
    expect(page.text).not.toContain("Home");
    expect(page.text).not.toContain("Share on");
    expect(page.text).not.toContain("Copyright");
    expect(page.text).not.toContain("not text");
    expect(page.text).not.toContain("# Budget agreed");
    expect(page.text).not.toContain("Another story");
    expect(page.text.startsWith("The committee met")).toBe(true);
  });

  it("decodes entities and guesses CJK language when none is declared", () => {
    const chinese = extractPage(
      `<html><body><div><p>${"北京今天发布了新的城市规划，市民可以在网上查看详细内容。".repeat(4)}</p><p>A &amp; B</p></div></body></html>`,
      "https://example.cn/",
    );
    expect(chinese.language).toBe("zh");
    expect(chinese.text).toContain("北京今天发布了新的城市规划");
    expect(chinese.text).toContain("A & B");
  });

  it("handles a Chinese news layout: editor stamp and related-reading rail dropped", () => {
    const paragraph = "国家统计局今天发布数据，十月份全国居民消费价格同比上涨百分之零点二，环比下降百分之零点一，其中城市上涨百分之零点二。";
    const html = `<html lang="zh-CN"><head><meta charset="utf-8"><title>十月物价数据发布_新闻中心</title><meta property="og:title" content="十月物价数据发布"></head><body>
<div class="nav"><a href="/">首页</a><a href="/news">新闻</a></div>
<div class="main"><div class="article"><h1>十月物价数据发布</h1><div class="info">2024-11-09 10:00 来源：新华网</div>
<p>${paragraph}</p><p>${paragraph}</p><p>${paragraph}</p>
<p>责任编辑：王小明</p>
<h3>相关阅读</h3><ul><li><a href="/a">九月物价数据发布</a></li></ul></div></div></body></html>`;
    const page = extractPage(html, "https://news.example.cn/2024/11/09/a.html");
    expect(page.title).toBe("十月物价数据发布");
    expect(page.language).toBe("zh-CN");
    expect(page.text).toBe([paragraph, paragraph, paragraph].join("\n\n"));
  });

  it("returns empty text, not an error, for empty or non-HTML input", () => {
    expect(extractPage("", "https://example.com/").text).toBe("");
    expect(extractPage("just some words", "https://example.com/").text).toBe("just some words");
  });
});
