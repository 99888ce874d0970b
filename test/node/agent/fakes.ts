/**
 * Hand-written fakes for the agent tests: a scripted model that records its
 * calls, a search provider, a page fetcher with per-URL delays, and a tiny
 * extractor. No module mocking, no network.
 */
import type { ChatStreamRequest, CompletionRequest, ModelClient, ModelStreamPart } from "../../../agent/model-client";
import { AgentError } from "../../../agent/errors";
import { estimateTokens } from "../../../search/token-estimate";
import { parseAgentConfig, type AgentConfigInput } from "../../../agent/config";
import type { AgentDeps } from "../../../agent/run-agent";
import type { ChatEvent } from "../../../agent/events";
import type { ExtractedPage, FetchOutcome, SearchProvider, SearchResult } from "../../../search/types";

export interface ChatScript {
  chunks: string[];
  /** Throw this after the chunks (model down mid-stream). */
  failAfter?: boolean;
  /** Stall after the chunks until the caller's signal aborts. */
  stallAfter?: boolean;
  /** Hang after the chunks, ignoring the signal (a misbehaving client). */
  hangAfter?: boolean;
  finishReason?: "stop" | "length";
}

export interface ScriptedModel extends ModelClient {
  chatCalls: ChatStreamRequest[];
  completeCalls: CompletionRequest[];
  /** Chunks handed out, over all chat calls (shows when the agent stops reading). */
  chunksSent: number;
  /** countTokens calls: each is a /tokenize subrequest with the HTTP client. */
  countCalls: number;
}

export function scriptedModel(options: {
  chats: ChatScript[];
  summarize?: (prompt: string) => string;
  completeDelayMs?: number;
  completeFails?: boolean;
}): ScriptedModel {
  const chats = [...options.chats];
  const model: ScriptedModel = {
    model: "megrez-test",
    chatCalls: [],
    completeCalls: [],
    chunksSent: 0,
    countCalls: 0,
    async *streamChat(request): AsyncGenerator<ModelStreamPart> {
      model.chatCalls.push(request);
      const script = chats.shift();
      if (!script) throw new AgentError("model-unavailable", { retryable: true, detail: "no script left" });
      for (const chunk of script.chunks) {
        await Promise.resolve();
        model.chunksSent += 1;
        yield { type: "text-delta", text: chunk };
      }
      if (script.stallAfter) await sleep(3_600_000, request.signal);
      if (script.hangAfter) await new Promise(() => undefined);
      if (script.failAfter) throw new AgentError("model-unavailable", { retryable: true, detail: "connection reset" });
      yield { type: "finish", reason: script.finishReason ?? "stop" };
    },
    async complete(request) {
      model.completeCalls.push(request);
      await sleep(options.completeDelayMs ?? 0, request.signal);
      if (options.completeFails) throw new AgentError("model-unavailable", { retryable: true });
      return request.prompts.map((prompt) => (options.summarize ?? defaultSummary)(prompt));
    },
    async countTokens(text) {
      model.countCalls += 1;
      return estimateTokens(text);
    },
  };
  return model;
}

/** Summary naming the page's URL so tests can see which page it came from. */
export function defaultSummary(prompt: string): string {
  const url = /url="([^"]+)"/.exec(prompt)?.[1] ?? "?";
  return `Summary of ${url}.`;
}

export function results(count: number): SearchResult[] {
  return Array.from({ length: count }, (_, position) => ({
    rank: position + 1,
    url: `https://site${position + 1}.example/page`,
    title: `Title ${position + 1}`,
    snippet: `Snippet ${position + 1}.`,
    provider: "fake",
  }));
}

export function fakeSearch(outcome: SearchResult[] | Error, calls: string[] = []): SearchProvider {
  return {
    name: "fake",
    async search(query) {
      calls.push(query);
      await Promise.resolve();
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  };
}

/** Per-URL delay in ms; "never" waits until aborted; a reason string fails the fetch. */
export type PagePlan = Record<string, number | "never" | { fail: "http-error" | "timeout" }>;

export function fakeFetchPage(plan: PagePlan, pages: Record<string, string> = {}) {
  return async (url: string, signal?: AbortSignal): Promise<FetchOutcome> => {
    const step = plan[url] ?? 0;
    if (typeof step === "object") return { ok: false, url, reason: step.fail };
    try {
      await sleep(step === "never" ? 3_600_000 : step, signal);
    } catch {
      return { ok: false, url, reason: "deadline" };
    }
    const body = pages[url] ?? `<html><head><title>Page ${url}</title></head><body><p>Facts from ${url}.</p></body></html>`;
    return { ok: true, url, finalUrl: url, status: 200, contentType: "text/html", body, truncated: false };
  };
}

export function fakeExtract(html: string, url: string): ExtractedPage {
  const title = /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? "";
  const text = html
    .replace(/<title>[^<]*<\/title>/, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/\s+/g, " ")
    .trim();
  return { url, title, text };
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export function makeDeps(model: ModelClient, overrides: Omit<Partial<AgentDeps>, "config"> & { config?: AgentConfigInput } = {}): AgentDeps {
  const { config, ...rest } = overrides;
  return {
    model,
    search: fakeSearch(results(2)),
    fetchPage: fakeFetchPage({}),
    extract: fakeExtract,
    now: () => new Date("2026-11-26T12:00:00Z"),
    newId: () => "run-1",
    config: parseAgentConfig({ deadlines: { readMs: 1_000 }, ...config }),
    ...rest,
  };
}

export async function collect(events: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

/** Joins adjacent text-delta events (chunking is tested on its own). */
export function mergeDeltas(events: ChatEvent[]): ChatEvent[] {
  const out: ChatEvent[] = [];
  for (const event of events) {
    const last = out[out.length - 1];
    if (event.type === "text-delta" && last?.type === "text-delta") out[out.length - 1] = { type: "text-delta", delta: last.delta + event.delta };
    else out.push(event);
  }
  return out;
}

export const START: ChatEvent = { type: "start", id: "run-1", model: "megrez-test", created: 1795694400 };

export function callText(query: string, name = "webSearch"): string {
  return `<|function_start|>{"name": "${name}", "arguments": {"query": "${query}"}}<|function_end|>`;
}
