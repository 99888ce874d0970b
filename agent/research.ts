/**
 * The research stage shared by the chat agent and the scheduled digests:
 * search → read the pages in parallel → summarize each for the user's
 * question and the query as soon as it arrives → numbered sources. Sources
 * are numbered by search rank (not by arrival, as the reference did). When
 * the read deadline passes, pages not yet summarized are cited through their
 * search snippet, so the answer never waits for the slowest page. Pages the
 * summarizer judges irrelevant leave the citable set.
 */
import type { SearchProvider, SearchResult } from "../search/types";
import type { AgentConfig } from "./config";
import { AgentError, isAgentError } from "./errors";
import type { ChatEvent, ChatEventOf } from "./events";
import type { ModelClient } from "./model-client";
import { AsyncQueue } from "./async-queue";
import { NO_RELEVANT_CONTENT } from "./prompts";
import { readPage, type ReadPageDeps, type SelectPassages } from "./read-page";
import { SummaryBatcher } from "./summary-batcher";
import { truncateToTokens } from "./token-budget";

export type PageOutcome = ChatEventOf<"page-read">["outcome"];

export interface ResearchSource {
  /** 1-based, by search rank (continues across rounds). */
  index: number;
  url: string;
  title: string;
  snippet: string;
  domain: string;
  outcome: PageOutcome;
  /** What the answer may cite: the summary, a page excerpt or the snippet when no summary is ready. Empty when not citable. */
  text: string;
  reason?: string;
}

export interface ResearchResult {
  query: string;
  /** Every source shown to the user, in rank order. */
  sources: ResearchSource[];
  /** The sources the answer may cite (summarized, excerpt or snippet), in rank order. */
  citable: ResearchSource[];
  /** Set when the search itself failed or found nothing. */
  failure?: { code: "search-failed" | "search-empty"; reason: string };
  /** `/v1/completions` calls made for summaries. */
  summaryBatches: number;
}

export interface ResearchRequest {
  /** The user's question: summaries are written for it. */
  question: string;
  query: string;
  /** 0-based search round, echoed in `search-start`. */
  round?: number;
  /** Index of the first new source (default 1). */
  firstIndex?: number;
  /** URLs already read in earlier rounds. */
  excludeUrls?: ReadonlySet<string>;
  /** Override of `config.deadlines.readMs` (a digest can afford to wait longer). */
  readDeadlineMs?: number;
  signal?: AbortSignal;
}

export interface ResearchDeps {
  model: ModelClient;
  search: SearchProvider;
  fetchPage: ReadPageDeps["fetchPage"];
  extract: ReadPageDeps["extract"];
  selectPassages?: SelectPassages;
  config: AgentConfig;
}

/** Yields progress events; returns the numbered sources. Throws AgentError("aborted") on abort. */
export async function* research(request: ResearchRequest, deps: ResearchDeps): AsyncGenerator<ChatEvent, ResearchResult> {
  const round = request.round ?? 0;
  const { config } = deps;
  yield { type: "status", stage: "searching" };
  yield { type: "search-start", query: request.query, round };
  const searched = await searchSafely(request, deps);
  if (!searched.ok) {
    const code = searched.code;
    yield { type: "error", code, message: new AgentError(code).publicMessage, retryable: code === "search-failed" };
    yield { type: "search-end", query: request.query, resultCount: 0 };
    return { query: request.query, sources: [], citable: [], failure: { code, reason: searched.reason }, summaryBatches: 0 };
  }
  const sources = numberSources(searched.results, request, config.pages);
  yield { type: "search-end", query: request.query, resultCount: sources.length };
  for (const source of sources) {
    yield { type: "source", index: source.index, url: source.url, title: source.title, snippet: source.snippet, domain: source.domain };
  }
  if (sources.length === 0) {
    yield { type: "error", code: "search-empty", message: new AgentError("search-empty").publicMessage, retryable: false };
    return { query: request.query, sources, citable: [], failure: { code: "search-empty", reason: "no new results" }, summaryBatches: 0 };
  }
  yield { type: "status", stage: "reading", done: 0, total: sources.length };
  const batches = yield* readAll(sources, request, deps);
  const citable = sources.filter((source) => source.text !== "" && source.outcome !== "irrelevant" && source.outcome !== "failed");
  return { query: request.query, sources, citable, summaryBatches: batches };
}

/** Runs `research` to the end, handing each event to `onEvent` (for digests and other non-streaming callers). */
export async function runResearch(
  request: ResearchRequest,
  deps: ResearchDeps,
  onEvent: (event: ChatEvent) => void = () => undefined,
): Promise<ResearchResult> {
  const generator = research(request, deps);
  for (;;) {
    const step = await generator.next();
    if (step.done) return step.value;
    onEvent(step.value);
  }
}

async function searchSafely(
  request: ResearchRequest,
  deps: ResearchDeps,
): Promise<{ ok: true; results: SearchResult[] } | { ok: false; code: "search-failed" | "search-empty"; reason: string }> {
  const timeout = AbortSignal.timeout(deps.config.deadlines.searchMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  try {
    const results = await deps.search.search(request.query, { limit: deps.config.pages, signal });
    return results.length === 0 ? { ok: false, code: "search-empty", reason: "no results" } : { ok: true, results };
  } catch (error) {
    if (request.signal?.aborted) throw new AgentError("aborted", { cause: error });
    const kind = typeof error === "object" && error !== null && "kind" in error ? String(error.kind) : undefined;
    if (kind === "empty") return { ok: false, code: "search-empty", reason: "no results" };
    return { ok: false, code: "search-failed", reason: timeout.aborted ? "timeout" : (kind ?? "error") };
  }
}

function numberSources(results: SearchResult[], request: ResearchRequest, limit: number): ResearchSource[] {
  const seen = new Set(request.excludeUrls ?? []);
  const ranked = [...results].sort((left, right) => left.rank - right.rank);
  const sources: ResearchSource[] = [];
  let index = request.firstIndex ?? 1;
  for (const result of ranked) {
    const key = urlKey(result.url);
    if (seen.has(key) || sources.length >= limit) continue;
    seen.add(key);
    sources.push({
      index: index++,
      url: result.url,
      title: result.title.trim() || result.url,
      snippet: result.snippet.trim(),
      domain: domainOf(result.url),
      outcome: "failed",
      text: "",
    });
  }
  return sources;
}

/** URL identity for de-duplication: no fragment, no trailing slash. */
export function urlKey(url: string): string {
  return url.replace(/#.*$/, "").replace(/\/+$/, "");
}

function domainOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, "");
  } catch {
    return "";
  }
}

async function* readAll(sources: ResearchSource[], request: ResearchRequest, deps: ResearchDeps): AsyncGenerator<ChatEvent, number> {
  const { config } = deps;
  const deadline = new AbortController();
  const readSignal = request.signal ? AbortSignal.any([request.signal, deadline.signal]) : deadline.signal;
  const readMs = request.readDeadlineMs ?? config.deadlines.readMs;
  const timer = setTimeout(() => deadline.abort(new AgentError("page-failed", { detail: "read deadline" })), readMs);
  const batcher = new SummaryBatcher({
    model: deps.model,
    maxTokens: config.budgets.summaryMaxTokens,
    temperature: config.agentTemperature,
    signal: readSignal,
    deadline: Date.now() + readMs,
  });
  const events = new AsyncQueue<ChatEvent>();
  const settled = new Set<number>();
  let summaryErrorReported = false;
  const settle = (source: ResearchSource, outcome: PageOutcome, text: string, reason?: string) => {
    if (settled.has(source.index)) return;
    settled.add(source.index);
    source.outcome = outcome;
    source.text = text;
    if (reason !== undefined) source.reason = reason;
    const event: ChatEvent = { type: "page-read", index: source.index, outcome, done: settled.size, total: sources.length };
    if (reason !== undefined) event.reason = reason;
    events.push(event);
    if (settled.size === sources.length) events.close();
  };
  const excerpts = new Map<number, string>();
  // A page read but not summarized in time is still better evidence than its snippet.
  const fallBack = (source: ResearchSource, reason: string) => {
    const excerpt = excerpts.get(source.index);
    if (excerpt) return settle(source, "excerpt", excerpt, reason);
    if (source.snippet !== "") return settle(source, "snippet", source.snippet, reason);
    settle(source, "failed", "", reason);
  };

  const readOne = async (source: ResearchSource) => {
    const pageSignal = AbortSignal.any([readSignal, AbortSignal.timeout(config.deadlines.pageMs)]);
    const page = await readPage(
      { url: source.url, fallbackTitle: source.title, question: request.question, query: request.query, budgetTokens: config.budgets.pageInputTokens, signal: pageSignal },
      { fetchPage: deps.fetchPage, extract: deps.extract, selectPassages: deps.selectPassages, countTokens: (text) => deps.model.countTokens(text) },
    );
    if (!page.ok) return fallBack(source, page.reason);
    const excerpt = await truncateToTokens(page.text, config.budgets.summaryMaxTokens, (text) => deps.model.countTokens(text));
    if (excerpt !== "") excerpts.set(source.index, excerpt);
    if (readSignal.aborted) return fallBack(source, "deadline");
    try {
      const summary = await batcher.summarize(page.prompt);
      classifySummary(source, summary, settle, fallBack);
    } catch (error) {
      if (readSignal.aborted) return fallBack(source, "deadline");
      if (!summaryErrorReported && !(isAgentError(error) && error.code === "aborted")) {
        summaryErrorReported = true;
        events.push({ type: "error", code: "summary-failed", message: new AgentError("summary-failed").publicMessage, retryable: true });
      }
      fallBack(source, "summary-failed");
    }
  };

  for (const source of sources) void readOne(source).catch(() => fallBack(source, "internal"));
  const onDeadline = () => {
    for (const source of sources) fallBack(source, request.signal?.aborted ? "aborted" : "deadline");
  };
  readSignal.addEventListener("abort", onDeadline, { once: true });
  try {
    yield* events;
  } finally {
    clearTimeout(timer);
    readSignal.removeEventListener("abort", onDeadline);
    // Stop fetches and summaries still running: the answer no longer needs them.
    if (!deadline.signal.aborted) deadline.abort();
  }
  if (request.signal?.aborted) throw new AgentError("aborted");
  return batcher.batches;
}

function classifySummary(
  source: ResearchSource,
  summary: string,
  settle: (source: ResearchSource, outcome: PageOutcome, text: string, reason?: string) => void,
  fallBack: (source: ResearchSource, reason: string) => void,
): void {
  const text = summary.trim();
  if (text === "") return fallBack(source, "empty-summary");
  if (isIrrelevant(text)) return settle(source, "irrelevant", "");
  settle(source, "summarized", text);
}

/** The marker we ask for, and the reference's Chinese phrase the model may have been trained on. */
export function isIrrelevant(summary: string): boolean {
  const text = summary.trim();
  if (text.toUpperCase().includes(NO_RELEVANT_CONTENT)) return text.length < NO_RELEVANT_CONTENT.length + 40;
  return /^["“]?(无相关内容|沒有相關內容|没有相关内容)/.test(text);
}
