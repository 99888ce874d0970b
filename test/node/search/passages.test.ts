// Passage selection: BM25 ranking picks the paragraph that answers, the token budget holds with the
// estimate and with an injected (async) counter, CJK works, and passages rejoin in reading order.
import { describe, expect, it } from "vitest";
import { joinPassages, selectPassages, splitIntoPassages } from "../../../search/passages";
import { tokenizeTerms } from "../../../search/text-terms";
import { estimateTokens } from "../../../search/token-estimate";
import type { ExtractedPage } from "../../../search/types";

const filler = (topic: string): string =>
  `This paragraph talks about ${topic} in general terms and repeats itself a little so that it is long enough. `.repeat(4);

const page: ExtractedPage = {
  url: "https://example.com/",
  title: "City news",
  text: [
    "# City news",
    filler("the weather"),
    "## Transport",
    filler("buses and trams"),
    "The new bridge over the Megrez river opens on 12 May 2025 and cost 40 million euros to build.",
    filler("the library"),
    filler("schools"),
    filler("football"),
  ].join("\n\n"),
};

describe("selectPassages", () => {
  it("ranks the passage that answers the question first", async () => {
    const passages = await selectPassages(page, "When does the bridge open?", { budgetTokens: 120 });
    expect(passages[0]?.text).toContain("bridge over the Megrez river opens on 12 May 2025");
    expect(passages.length).toBeGreaterThan(0);
  });

  it("respects the budget with the estimate and with an async tokenizer", async () => {
    const estimated = await selectPassages(page, "bridge", { budgetTokens: 200 });
    expect(estimated.reduce((sum, passage) => sum + estimateTokens(passage.text), 0)).toBeLessThanOrEqual(200);
    const calls: string[] = [];
    const counted = await selectPassages(page, "bridge", {
      budgetTokens: 50,
      countTokens: async (text) => {
        calls.push(text);
        return text.split(/\s+/).length;
      },
    });
    expect(calls.length).toBeGreaterThan(0);
    expect(counted.reduce((sum, passage) => sum + passage.text.split(/\s+/).length, 0)).toBeLessThanOrEqual(50);
  });

  it("falls back to reading order when nothing matches", async () => {
    const passages = await selectPassages(page, "zzzz qqqq", { budgetTokens: 100000 });
    expect(passages.map((passage) => passage.index)).toEqual([...passages.keys()]);
  });

  it("handles Chinese questions and text", async () => {
    const chinese: ExtractedPage = {
      url: "https://example.cn/",
      title: "新闻",
      text: ["今天北京天气晴朗，气温适中，适合出行。", "新的地铁线路将于明年五月开通，全长三十公里。", "图书馆周末开放时间延长到晚上十点。"].join("\n\n"),
    };
    const passages = await selectPassages(chinese, "地铁什么时候开通", { budgetTokens: 30, passageTokens: 20 });
    expect(passages[0]?.text).toContain("地铁线路");
    expect(tokenizeTerms("地铁开通")).toEqual(["地铁", "铁开", "开通"]);
    expect(estimateTokens("地铁abc")).toBe(2 + 2); // one per CJK character, ASCII letters at 2.8 per token, rounded up
  });

  it("returns nothing for an empty page or a zero budget", async () => {
    expect(await selectPassages({ ...page, text: "" }, "bridge")).toEqual([]);
    expect(await selectPassages(page, "bridge", { budgetTokens: 0 })).toEqual([]);
  });
});

describe("splitIntoPassages / joinPassages", () => {
  it("keeps headings with the text they introduce and splits long blocks at sentences", () => {
    const passages = splitIntoPassages(`## Heading\n\n${"One sentence here. ".repeat(200)}`, 100);
    expect(passages.length).toBeGreaterThan(3);
    expect(passages[0]?.text.startsWith("## Heading\n\nOne sentence")).toBe(true);
    for (const passage of passages) expect(estimateTokens(passage.text)).toBeLessThanOrEqual(160);
  });

  it("joins in reading order with a gap marker", () => {
    expect(
      joinPassages([
        { text: "c", score: 3, index: 4 },
        { text: "a", score: 1, index: 0 },
        { text: "b", score: 2, index: 1 },
      ]),
    ).toBe("a\n\nb\n\n…\n\nc");
  });
});
