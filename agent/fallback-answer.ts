/**
 * The answer the agent writes itself when the model fails after the search:
 * the sources it found, with their summaries or snippets, each cited. The
 * user gets what was found instead of an empty bubble.
 */
import type { CitationRewriter } from "./citation-stream";
import type { ChatEvent } from "./events";
import { unmarkCitations } from "./prompts";
import type { ResearchSource } from "./research";

const INTRO = {
  en: "The language model could not write an answer right now. Here is what the search found:",
  zh: "语言模型暂时无法生成回答。以下是搜索找到的内容：",
};

export function* fallbackAnswer(sources: ResearchSource[], rewriter: CitationRewriter, question: string): Generator<ChatEvent> {
  const lines = [/[\u3400-\u9fff]/.test(question) ? INTRO.zh : INTRO.en, ""];
  // Page text must not add citations of its own: only the marker after each item is ours.
  const clean = (text: string, limit: number) => unmarkCitations(text).replace(/\s+/g, " ").trim().slice(0, limit);
  for (const source of sources) {
    lines.push(`- **${clean(source.title, 120)}**: ${clean(source.text, 300)} [citation:${source.index}]`);
  }
  yield* rewriter.push(`${lines.join("\n")}\n`);
  yield* rewriter.finish();
}
