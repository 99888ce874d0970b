import { describe, expect, it } from "vitest";
import { CitationLinker } from "../../../workers/openai/citation-links";

function linker() {
  const l = new CitationLinker();
  l.addSource(1, "https://a.example/one", "One");
  l.addSource(2, "https://b.example/two (draft)", "Two");
  return l;
}

describe("CitationLinker", () => {
  it("links known markers and annotates the exact span of each link", () => {
    const l = linker();
    const out = l.push("Edge [1] and [2]; not [3].");
    const end = l.end();
    const text = out.text + end.text;
    expect(text).toBe("Edge [1](https://a.example/one) and [2](https://b.example/two%20%28draft%29); not [3].");
    expect(out.annotations).toHaveLength(2);
    for (const a of out.annotations) {
      const span = text.slice(a.url_citation.start_index, a.url_citation.end_index);
      expect(span).toMatch(/^\[\d\]\(.+\)$/);
    }
    expect(out.annotations[1]?.url_citation).toMatchObject({ url: "https://b.example/two (draft)", title: "Two" });
  });

  it("holds back a marker split across deltas and keeps offsets global", () => {
    const l = linker();
    const parts = ["Cited [", "1", "] then [2", "]."].map((d) => l.push(d));
    parts.push(l.end());
    const text = parts.map((p) => p.text).join("");
    const annotations = parts.flatMap((p) => p.annotations);
    expect(text).toBe("Cited [1](https://a.example/one) then [2](https://b.example/two%20%28draft%29).");
    expect(annotations.map((a) => text.slice(a.url_citation.start_index, a.url_citation.end_index))).toEqual([
      "[1](https://a.example/one)",
      "[2](https://b.example/two%20%28draft%29)",
    ]);
    expect(parts[0]?.text).toBe("Cited ");
  });

  it("releases a held bracket that never became a marker", () => {
    const l = linker();
    expect(l.push("array[").text).toBe("array");
    expect(l.push("x]").text).toBe("[x]");
    expect(l.push("tail [12").text).toBe("tail ");
    expect(l.end().text).toBe("[12");
  });
});
