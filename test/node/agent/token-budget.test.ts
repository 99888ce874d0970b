import { describe, expect, it } from "vitest";
import { TRUNCATION_MARKER, truncateToTokens } from "../../../agent/token-budget";
import { estimateTokens } from "../../../search/token-estimate";

describe("estimateTokens", () => {
  it("over-counts prose, digits, punctuation, CJK and emoji", () => {
    expect(estimateTokens("The quick brown fox jumps over the lazy dog")).toBe(16);
    expect(estimateTokens("2026-11-26")).toBe(2 + 4);
    expect(estimateTokens("无问芯穹")).toBe(4);
    expect(estimateTokens("🙂")).toBe(3);
  });
});

describe("truncateToTokens", () => {
  it("returns text the estimate fits without calling the tokenizer", async () => {
    let calls = 0;
    const count = async (text: string) => {
      calls += 1;
      return text.length;
    };
    expect(await truncateToTokens("short text", 100, count)).toBe("short text");
    expect(calls).toBe(0);
  });

  it("cuts long text to the budget with a marker, in a few tokenizer calls", async () => {
    let calls = 0;
    const count = async (text: string) => {
      calls += 1;
      return Math.ceil(text.length / 4);
    };
    const text = "word ".repeat(2_000);
    const cut = await truncateToTokens(text, 500, count);
    expect(cut.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(await count(cut)).toBeLessThanOrEqual(500);
    expect(cut.length).toBeGreaterThan(1_800);
    expect(calls).toBeLessThanOrEqual(5);
  });
});
