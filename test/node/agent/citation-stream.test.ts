import { describe, expect, it } from "vitest";
import { CitationRewriter } from "../../../agent/citation-stream";
import type { ChatEvent } from "../../../agent/events";

const sources = new Map([
  [1, { index: 1, url: "https://a.example/", title: "A" }],
  [3, { index: 3, url: "https://c.example/", title: "C" }],
]);

function run(chunks: string[]): ChatEvent[] {
  const rewriter = new CitationRewriter(sources, new Set([1, 2, 3]));
  return [...chunks.flatMap((chunk) => rewriter.push(chunk)), ...rewriter.finish()];
}

describe("CitationRewriter", () => {
  it("rewrites markers split across chunks and reports offsets into the answer", () => {
    const events = run(["Sky is blue [cita", "tion:1]. Grass [citation:3][citation:1] ok."]);
    expect(events).toStrictEqual([
      { type: "text-delta", delta: "Sky is blue " },
      { type: "text-delta", delta: "[1]" },
      { type: "citation", index: 1, url: "https://a.example/", title: "A", start: 12, end: 15 },
      { type: "text-delta", delta: ". Grass [3]" },
      { type: "citation", index: 3, url: "https://c.example/", title: "C", start: 23, end: 26 },
      { type: "text-delta", delta: "[1]" },
      { type: "citation", index: 1, url: "https://a.example/", title: "A", start: 26, end: 29 },
      { type: "text-delta", delta: " ok." },
    ]);
    const text = events.flatMap((event) => (event.type === "text-delta" ? [event.delta] : [])).join("");
    for (const event of events) if (event.type === "citation") expect(text.slice(event.start, event.end)).toBe(`[${event.index}]`);
  });

  it("removes out-of-range and non-citable markers instead of clamping", () => {
    expect(run(["X [citation:9] Y [citation:2] Z"])).toStrictEqual([
      { type: "text-delta", delta: "X" },
      { type: "citation-dropped", cited: 9, reason: "out-of-range" },
      { type: "text-delta", delta: " Y" },
      { type: "citation-dropped", cited: 2, reason: "not-citable" },
      { type: "text-delta", delta: " Z" },
    ]);
  });

  it("accepts [[citation:N]] and [ citation:N] even when the closing bracket comes later", () => {
    const events = run(["A [[citation:1]", "] B [ citation:3]"]);
    expect(events.flatMap((event) => (event.type === "text-delta" ? [event.delta] : [])).join("")).toBe("A [1] B [3]");
  });

  it("releases a bracket that is not a citation", () => {
    expect(run(["see [note", "] here"])).toStrictEqual([
      { type: "text-delta", delta: "see " },
      { type: "text-delta", delta: "[note] here" },
    ]);
  });
});
