/**
 * Perplexity Sonar's fields on the real worker (workerd, the real agent and local corpus, a scripted
 * engine): the domain filter reaching the search, `citations` / `search_results` numbered like the
 * `[n]` links, sent once when streaming, `related_questions`, validation that names the field, and
 * a site key's default domain filter on the widget route.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { parseSSEEvents } from "../../../agent/event-stream";
import type { ChatEvent } from "../../../agent/events";
import { readSSEFrames } from "../../../agent/sse-frames";
import { errorOf, ORIGIN, postJson, request } from "./support/api";
import { createFakeEngine, defaultReply, type FakeEngineMessage, textOf } from "./support/fake-engine";

const question = { role: "user", content: "Please search: how does the edge API cite sources?" };

/** The default engine, plus an answer to the related-questions prompt. */
function withRelated(messages: FakeEngineMessage[]): string {
  const last = messages[messages.length - 1];
  if (textOf(last).startsWith("Question:")) return "1. How are sources numbered?\n- Can I filter domains?\n\nHow are sources numbered?\n";
  return defaultReply(messages);
}

interface Completion {
  choices: { message: { content: string; annotations: { url_citation: { url: string; start_index: number; end_index: number } }[] } }[];
  citations: string[];
  search_results: { title: string; url: string; date: string | null; snippet: string }[];
  related_questions?: string[];
}

describe("Sonar fields on /v1/chat/completions", () => {
  beforeAll(async () => {
    const index = await env.ASSETS.fetch("https://assets.local/corpus/index.json");
    await index.body?.cancel();
    if (!index.ok) throw new Error("dist/assets/corpus is not built: run `npm run build:index` first");
  });

  it("returns citations and search_results numbered like the [n] links, and related_questions", async () => {
    const body = { model: "megrez", messages: [question], search: "always", search_domain_filter: ["edge.test"], return_related_questions: true };
    const res = await request("/v1/chat/completions", postJson(body), { ENGINE: createFakeEngine({ reply: withRelated }) });
    expect(res.status).toBe(200);
    const completion: Completion = await res.json();
    expect(completion.citations.length).toBeGreaterThanOrEqual(2);
    expect(completion.search_results.map((result) => result.url)).toEqual(completion.citations);
    for (const result of completion.search_results) {
      expect(result.url.startsWith(`${ORIGIN}/corpus/`)).toBe(true);
      expect(result.title.length).toBeGreaterThan(0);
      expect(result.date === null || /^\d{4}-\d{2}-\d{2}$/.test(result.date)).toBe(true);
    }
    const { content, annotations } = completion.choices[0]!.message;
    expect(annotations.length).toBe(2);
    for (const annotation of annotations) {
      const n = Number(/^\[(\d+)\]/.exec(content.slice(annotation.url_citation.start_index, annotation.url_citation.end_index))?.[1]);
      expect(completion.citations[n - 1]).toBe(annotation.url_citation.url);
    }
    expect(completion.related_questions).toEqual(["How are sources numbered?", "Can I filter domains?"]);
  });

  it("counts the related-questions call in turn_usage, streaming and not", async () => {
    type Usage = { prompt_tokens: number; completion_tokens: number; model_calls: number };
    const ask = async (related: boolean): Promise<Usage> => {
      const body = { model: "megrez", messages: [question], search: "never", return_related_questions: related };
      const res = await request("/v1/chat/completions", postJson(body), { ENGINE: createFakeEngine({ reply: withRelated }) });
      return ((await res.json()) as { turn_usage: Usage }).turn_usage;
    };
    const [plain, withQuestions] = [await ask(false), await ask(true)];
    expect(withQuestions.model_calls).toBe(plain.model_calls + 1);
    expect(withQuestions.prompt_tokens).toBeGreaterThan(plain.prompt_tokens);
    expect(withQuestions.completion_tokens).toBeGreaterThan(plain.completion_tokens);
    const body = {
      model: "megrez",
      messages: [question],
      search: "never",
      stream: true,
      stream_options: { include_usage: true },
      return_related_questions: true,
    };
    const res = await request("/v1/chat/completions", postJson(body), { ENGINE: createFakeEngine({ reply: withRelated }) });
    let streamed: Usage | undefined;
    for await (const frame of readSSEFrames(res.body!)) {
      if (frame.data === "[DONE]") break;
      streamed = (JSON.parse(frame.data) as { turn_usage?: Usage }).turn_usage ?? streamed;
    }
    expect(streamed?.model_calls).toBe(withQuestions.model_calls);
  });

  it("drops every result a deny rule covers before anything is read", async () => {
    const engine = createFakeEngine();
    const body = { model: "megrez", messages: [question], search: "always", search_domain_filter: ["-edge.test"] };
    const res = await request("/v1/chat/completions", postJson(body), { ENGINE: engine });
    const completion: Completion = await res.json();
    expect(completion.citations).toEqual([]);
    expect(completion.search_results).toEqual([]);
    expect(engine.calls.filter((call) => call.path === "/v1/completions")).toEqual([]);
    expect(completion).not.toHaveProperty("related_questions");
  });

  it("streams citations and search_results once, in the stream's first chunk", async () => {
    const body = { model: "megrez", messages: [question], search: "always", stream: true, return_related_questions: true };
    const res = await request("/v1/chat/completions", postJson(body), { ENGINE: createFakeEngine({ reply: withRelated }) });
    const chunks: {
      citations?: string[];
      search_results?: unknown[];
      related_questions?: string[];
      choices: { delta: { content?: string }; finish_reason: string | null }[];
    }[] = [];
    for await (const frame of readSSEFrames(res.body!)) {
      if (frame.data === "[DONE]") break;
      chunks.push(JSON.parse(frame.data));
    }
    const carrying = chunks.flatMap((chunk, position) => (chunk.citations ? [position] : []));
    expect(carrying).toHaveLength(1);
    // The stream's first chunk (the role chunk, sent once the search is done), as Perplexity's clients read them.
    const first = carrying[0]!;
    expect(first).toBe(0);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: "" });
    expect(chunks[first]?.citations?.length).toBeGreaterThanOrEqual(2);
    expect(chunks[first]?.search_results).toHaveLength(chunks[first]!.citations!.length);
    const last = chunks[chunks.length - 1]!;
    expect(last.choices[0]?.finish_reason).toBe("stop");
    expect(last.related_questions).toEqual(["How are sources numbered?", "Can I filter domains?"]);
  });

  it.each([
    [{ search_domain_filter: Array.from({ length: 21 }, (_, i) => `d${i}.com`) }, "search_domain_filter: at most 20 entries"],
    [{ search_domain_filter: ["nasa.gov", "not a domain"] }, "search_domain_filter.1:"],
    [{ search_recency_filter: "decade" }, "search_recency_filter:"],
    [{ search_after_date_filter: "3/1/2025" }, "search_after_date_filter: date-range filters are not supported"],
    [{ return_images: true }, "return_images:"],
  ])("refuses %j by name", async (fields, message) => {
    const res = await request("/v1/chat/completions", postJson({ model: "megrez", messages: [question], ...fields }), { ENGINE: createFakeEngine() });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("invalid_body");
    expect(error.message).toContain(message);
  });
});

describe("a site key's default domain filter on /api/chat", () => {
  const siteKeys = (domains: string[]) => JSON.stringify({ "pk-docs": { origins: ["https://docs.example"], domains } });
  const chat = (body: object, domains: string[]) =>
    request("/api/chat", postJson({ message: question.content, search: "always", ...body }, { "x-site-key": "pk-docs", origin: "https://docs.example" }), {
      ENGINE: createFakeEngine(),
      WIDGET_SITE_KEYS: siteKeys(domains),
    });
  const sourcesOf = async (res: Response) => {
    const events: ChatEvent[] = [];
    for await (const e of parseSSEEvents(res.body!)) events.push(e.event);
    return events.flatMap((event) => (event.type === "source" ? [event.url] : []));
  };

  it("answers only from the site's domains", async () => {
    const own = await sourcesOf(await chat({}, ["edge.test"]));
    expect(own.length).toBeGreaterThan(0);
    expect(await sourcesOf(await chat({}, ["docs.example"]))).toEqual([]);
  });

  it("lets the widget narrow the site's filter but never widen it", async () => {
    const narrowed = await chat({ search_domain_filter: ["-edge.test"] }, ["edge.test"]);
    expect(await sourcesOf(narrowed)).toEqual([]);
    const widened = await chat({ search_domain_filter: ["elsewhere.org"] }, ["edge.test"]);
    expect(widened.status).toBe(400);
    expect((await errorOf(widened)).message).toContain("search_domain_filter: elsewhere.org is outside the domains this site key answers from");
  });
});
