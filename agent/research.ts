/**
 * The research stage shared by the chat agent and the scheduled digests:
 * search → read the pages in parallel → summarize each for the user's
 * question and the query as soon as it arrives → numbered sources. Sources
 * are numbered by search rank (not by arrival, as the reference did). When
 * the read deadline passes, pages not yet summarized are cited through their
 * search snippet, so the answer never waits for the slowest page. Pages the
 * summarizer judges irrelevant leave the citable set. A request's search filter (domains, recency)
 * goes to the provider, and results that still break it are dropped before anything is read.
 */
import { applySearchFilter } from "../search/search-filter";
import type { SearchFilter, SearchProvider, SearchResult } from "../search/types";
import type { AgentConfig } from "./config";
import { AgentError } from "./errors";
import type { ChatEvent, ChatEventOf } from "./events";
import type { ModelClient } from "./model-client";
import { readPages } from "./page-reading";
import { raceSignal } from "./race-signal";
import type { ReadPageDeps, SelectPassages } from "./read-page";

export type PageOutcome = ChatEventOf<"page-read">["outcome"];
export { isIrrelevant } from "./page-reading";

export interface ResearchSource {
  /** 1-based, by search rank (continues across rounds). */
  index: number;
  url: string;
  title: string;
  snippet: string;
  domain: string;
  /** Publication date as the search provider gave it. */
  publishedAt?: string;
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
  /** Domain and recency filter: passed to the provider and enforced on its results. */
  filter?: SearchFilter;
  signal?: AbortSignal;
}

export interface ResearchDeps {
  model: ModelClient;
  search: SearchProvider;
  fetchPage: ReadPageDeps["fetchPage"];
  extract: ReadPageDeps["extract"];
  selectPassages?: SelectPassages;
  config: AgentConfig;
  /** Clock for the recency filter (default: the system clock). */
  now?: () => Date;
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
    yield {
      type: "source",
      index: source.index,
      url: source.url,
      title: source.title,
      snippet: source.snippet,
      domain: source.domain,
      ...(source.publishedAt ? { date: source.publishedAt } : {}),
    };
  }
  if (sources.length === 0) {
    yield { type: "error", code: "search-empty", message: new AgentError("search-empty").publicMessage, retryable: false };
    return { query: request.query, sources, citable: [], failure: { code: "search-empty", reason: "no new results" }, summaryBatches: 0 };
  }
  yield { type: "status", stage: "reading", done: 0, total: sources.length };
  const batches = yield* readPages(sources, request, deps);
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
    const { filter } = request;
    const deadline = Date.now() + deps.config.deadlines.searchMs;
    const found = await raceSignal(
      deps.search.search(request.query, {
        limit: deps.config.pages,
        signal,
        deadline,
        ...(filter?.domains ? { domains: filter.domains } : {}),
        ...(filter?.recency ? { freshness: filter.recency } : {}),
      }),
      signal,
    );
    const results = filter ? applySearchFilter(found, filter, (deps.now?.() ?? new Date()).getTime()).kept : found;
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
      ...(result.publishedAt ? { publishedAt: result.publishedAt } : {}),
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
