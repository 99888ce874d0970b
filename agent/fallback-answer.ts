/**
 * The answer the agent writes itself when the model fails after the search:
 * the sources it found, with their summaries or snippets, each cited. The
 * user gets what was found instead of an empty bubble.
 */
import type { CitationRewriter } from "./citation-stream";
import type { ChatEvent } from "./events";
import type { ResearchSource } from "./research";

export function* fallbackAnswer(sources: ResearchSource[], rewriter: CitationRewriter): Generator<ChatEvent> {
  const lines = ["The language model could not write an answer right now. Here is what the search found:", ""];
  for (const source of sources) {
    lines.push(`- **${source.title.replace(/\s+/g, " ")}**: ${source.text.replace(/\s+/g, " ").slice(0, 300)} [citation:${source.index}]`);
  }
  yield* rewriter.push(`${lines.join("\n")}\n`);
  yield* rewriter.finish();
}
