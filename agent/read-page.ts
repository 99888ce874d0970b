/**
 * Turns one search result into a summary prompt: fetch the page, extract its
 * text, keep the passages that matter for the question within the page's
 * token budget, and render the Megrez summary prompt. Failures are returned
 * as values so the caller can fall back to the search snippet.
 */
import type { ExtractedPage, FetchOutcome, Passage, TokenCounter } from "../search/types";
import { joinPassages } from "../search/passages";
import { renderChatTemplate } from "./chat-template";
import { buildSummaryPrompt, SUMMARY_SYSTEM_PROMPT } from "./prompts";
import { truncateToTokens } from "./token-budget";
import { estimateTokens } from "../search/token-estimate";

export type SelectPassages = (page: ExtractedPage, question: string, options: { budgetTokens: number; countTokens?: TokenCounter }) => Promise<Passage[]>;

export interface ReadPageDeps {
  fetchPage: (url: string, signal?: AbortSignal) => Promise<FetchOutcome>;
  extract: (html: string, url: string) => ExtractedPage;
  selectPassages?: SelectPassages;
  countTokens: TokenCounter;
}

export interface ReadPageInput {
  url: string;
  fallbackTitle: string;
  question: string;
  query: string;
  budgetTokens: number;
  signal: AbortSignal;
}

/** `text`: the page text that went into the prompt (question-relevant passages when selection is on). */
export type ReadPageResult = { ok: true; title: string; prompt: string; text: string } | { ok: false; reason: string };

export async function readPage(input: ReadPageInput, deps: ReadPageDeps): Promise<ReadPageResult> {
  let outcome: FetchOutcome;
  try {
    outcome = await deps.fetchPage(input.url, input.signal);
  } catch {
    return { ok: false, reason: input.signal.aborted ? "deadline" : "network" };
  }
  if (!outcome.ok) return { ok: false, reason: outcome.reason };
  let page: ExtractedPage;
  try {
    page = deps.extract(outcome.body, outcome.finalUrl);
  } catch {
    return { ok: false, reason: "extract-failed" };
  }
  const text = await pageText(page, input, deps);
  if (text.trim() === "") return { ok: false, reason: "empty-page" };
  const title = page.title.trim() || input.fallbackTitle;
  const user = buildSummaryPrompt({ question: input.question, query: input.query, title, url: input.url, text });
  const prompt = renderChatTemplate(
    [
      { role: "system", content: SUMMARY_SYSTEM_PROMPT },
      { role: "user", content: user },
    ],
    { addGenerationPrompt: true },
  );
  return { ok: true, title, prompt, text };
}

async function pageText(page: ExtractedPage, input: ReadPageInput, deps: ReadPageDeps): Promise<string> {
  if (deps.selectPassages) {
    const passages = await deps.selectPassages(page, `${input.question}\n${input.query}`, {
      budgetTokens: input.budgetTokens,
      // Selection counts every passage: over HTTP that is dozens of /tokenize calls per page (and
      // Workers subrequests). The conservative estimate packs safely; the joined text is then
      // checked once with the real tokenizer.
      countTokens: estimateTokens,
    });
    // Passage selection counts each passage alone; the joined text is re-checked.
    return truncateToTokens(joinPassages(passages), input.budgetTokens, deps.countTokens);
  }
  return truncateToTokens(page.text, input.budgetTokens, deps.countTokens);
}
