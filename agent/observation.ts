/**
 * Builds the `observation` turn from the research result and fits it into
 * what is left of the context: when the summaries do not all fit, each is
 * cut to an equal share instead of dropping the lower-ranked sources.
 */
import type { ContextEntry } from "./prompts";
import { buildNoResultsObservation, buildObservation } from "./prompts";
import type { ResearchResult } from "./research";
import { truncateToTokens } from "./token-budget";

export async function fitObservation(input: {
  question: string;
  research: ResearchResult;
  budgetTokens: number;
  countTokens: (text: string) => Promise<number>;
}): Promise<string> {
  const { research } = input;
  if (research.citable.length === 0) {
    const reason =
      research.failure?.code === "search-failed" ? "the search service failed" : research.sources.length === 0 ? "no results" : "no page held relevant content";
    return buildNoResultsObservation({ question: input.question, query: research.query, reason });
  }
  let entries: ContextEntry[] = research.citable.map((source) => ({ index: source.index, title: source.title, text: source.text }));
  const full = buildObservation({ question: input.question, query: research.query, entries });
  const fullTokens = await input.countTokens(full);
  if (fullTokens <= input.budgetTokens) return full;
  const skeleton = await input.countTokens(
    buildObservation({ question: input.question, query: research.query, entries: entries.map((entry) => ({ ...entry, text: "" })) }),
  );
  const share = Math.floor((input.budgetTokens - skeleton) / entries.length);
  entries = await Promise.all(entries.map(async (entry) => ({ ...entry, text: await truncateToTokens(entry.text, Math.max(share, 0), input.countTokens) })));
  return buildObservation({ question: input.question, query: research.query, entries });
}
