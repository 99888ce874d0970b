/**
 * Reads a round's pages concurrently and settles each one exactly once:
 * summarized (or judged irrelevant) when its summary comes back in time,
 * otherwise cited through an excerpt of its text or its search snippet when
 * the read deadline passes. Emits one `page-read` per page, in the order
 * pages settle, and stops fetches and summaries nobody needs any more.
 */
import { AsyncQueue } from "./async-queue";
import { AgentError, isAgentError } from "./errors";
import type { ChatEvent } from "./events";
import { NO_RELEVANT_CONTENT } from "./prompts";
import { readPage } from "./read-page";
import type { PageOutcome, ResearchDeps, ResearchRequest, ResearchSource } from "./research";
import { SummaryBatcher } from "./summary-batcher";
import { truncateToTokens } from "./token-budget";
import { estimateTokens } from "../search/token-estimate";

/** Yields page-read events (and at most one summary-failed error); returns the number of summary batches. */
export async function* readPages(sources: ResearchSource[], request: ResearchRequest, deps: ResearchDeps): AsyncGenerator<ChatEvent, number> {
  const readMs = request.readDeadlineMs ?? deps.config.deadlines.readMs;
  const deadline = new AbortController();
  const signal = request.signal ? AbortSignal.any([request.signal, deadline.signal]) : deadline.signal;
  const timer = setTimeout(() => deadline.abort(new AgentError("page-failed", { detail: "read deadline" })), readMs);
  const reading = new PageReading(sources, request, deps, signal, Date.now() + readMs);
  const onDeadline = () => reading.settleRest(request.signal?.aborted ? "aborted" : "deadline");
  signal.addEventListener("abort", onDeadline, { once: true });
  reading.start();
  try {
    yield* reading.events;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onDeadline);
    // Stop fetches and summaries still running: the answer no longer needs them.
    if (!deadline.signal.aborted) deadline.abort();
  }
  if (request.signal?.aborted) throw new AgentError("aborted");
  return reading.batcher.batches;
}

class PageReading {
  readonly events = new AsyncQueue<ChatEvent>();
  readonly batcher: SummaryBatcher;
  private readonly settled = new Set<number>();
  private readonly excerpts = new Map<number, string>();
  private summaryErrorReported = false;

  constructor(
    private readonly sources: ResearchSource[],
    private readonly request: ResearchRequest,
    private readonly deps: ResearchDeps,
    private readonly signal: AbortSignal,
    deadlineAt: number,
  ) {
    const { config } = deps;
    this.batcher = new SummaryBatcher({
      model: deps.model,
      maxTokens: config.budgets.summaryMaxTokens,
      temperature: config.agentTemperature,
      seed: config.agentSeed,
      signal,
      deadline: deadlineAt,
    });
  }

  start(): void {
    for (const source of this.sources) void this.readOne(source).catch(() => this.fallBack(source, "internal"));
  }

  settleRest(reason: string): void {
    for (const source of this.sources) this.fallBack(source, reason);
  }

  private async readOne(source: ResearchSource): Promise<void> {
    const { config, model } = this.deps;
    const countTokens = (text: string) => model.countTokens(text);
    const page = await readPage(
      {
        url: source.url,
        fallbackTitle: source.title,
        question: this.request.question,
        query: this.request.query,
        budgetTokens: config.budgets.pageInputTokens,
        signal: AbortSignal.any([this.signal, AbortSignal.timeout(config.deadlines.pageMs)]),
      },
      { fetchPage: this.deps.fetchPage, extract: this.deps.extract, selectPassages: this.deps.selectPassages, countTokens },
    );
    if (!page.ok) return this.fallBack(source, page.reason);
    // The observation is fitted with real counts later; the estimate saves a tokenizer call here.
    const excerpt = await truncateToTokens(page.text, config.budgets.summaryMaxTokens, estimateTokens);
    if (excerpt !== "") this.excerpts.set(source.index, excerpt);
    if (this.signal.aborted) return this.fallBack(source, "deadline");
    try {
      this.classify(source, await this.batcher.summarize(page.prompt));
    } catch (error) {
      if (this.signal.aborted) return this.fallBack(source, "deadline");
      if (!this.summaryErrorReported && !(isAgentError(error) && error.code === "aborted")) {
        this.summaryErrorReported = true;
        this.events.push({ type: "error", code: "summary-failed", message: new AgentError("summary-failed").publicMessage, retryable: true });
      }
      this.fallBack(source, "summary-failed");
    }
  }

  private classify(source: ResearchSource, summary: string): void {
    const text = summary.trim();
    if (text === "") this.fallBack(source, "empty-summary");
    else if (isIrrelevant(text)) this.settle(source, "irrelevant", "");
    else this.settle(source, "summarized", text);
  }

  /** A page read but not summarized in time is still better evidence than its snippet. */
  private fallBack(source: ResearchSource, reason: string): void {
    const excerpt = this.excerpts.get(source.index);
    if (excerpt) this.settle(source, "excerpt", excerpt, reason);
    else if (source.snippet !== "") this.settle(source, "snippet", source.snippet, reason);
    else this.settle(source, "failed", "", reason);
  }

  private settle(source: ResearchSource, outcome: PageOutcome, text: string, reason?: string): void {
    if (this.settled.has(source.index)) return;
    this.settled.add(source.index);
    source.outcome = outcome;
    source.text = text;
    if (reason !== undefined) source.reason = reason;
    const event: ChatEvent = { type: "page-read", index: source.index, outcome, done: this.settled.size, total: this.sources.length };
    if (reason !== undefined) event.reason = reason;
    this.events.push(event);
    if (this.settled.size === this.sources.length) this.events.close();
  }
}

/** The marker we ask for, and the reference's Chinese phrase the model may have been trained on. */
export function isIrrelevant(summary: string): boolean {
  const text = summary.trim();
  if (text.toUpperCase().includes(NO_RELEVANT_CONTENT)) return text.length < NO_RELEVANT_CONTENT.length + 40;
  return /^["“]?(无相关内容|沒有相關內容|没有相关内容)/.test(text);
}
