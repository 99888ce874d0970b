/**
 * `POST /v1/responses` on the real worker (workerd, the real agent, local corpus and Durable
 * Objects, a scripted engine): the exact output items and streaming event sequence for a searched
 * and an unsearched answer, `url_citation` offsets in UTF-16 after CJK and astral text,
 * `previous_response_id` continuing a stored conversation, `store: false` keeping nothing,
 * failures as `response.failed` (streaming) or the status chat completions answers with (not
 * streaming), and fields refused by name.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { readSSEFrames } from "../../../agent/sse-frames";
import { errorOf, ORIGIN, postJson, request } from "./support/api";
import { createFakeEngine, defaultReply, type FakeEngineMessage, SEARCH_CALL, textOf } from "./support/fake-engine";

const SEARCHED = "Please search: how does the edge API cite sources?";
const WEB_SEARCH = [{ type: "web_search" }];

interface Annotation {
  type: string;
  start_index: number;
  end_index: number;
  url: string;
  title: string;
}
interface OutputItem {
  type: string;
  id: string;
  status: string;
  role?: string;
  action?: { type: string; query: string; sources?: { type: string; url: string }[] };
  content?: { type: string; text: string; annotations: Annotation[] }[];
}
interface ResponseObject {
  id: string;
  object: string;
  status: string;
  error: { code: string; message: string } | null;
  output: OutputItem[];
  usage: { input_tokens: number; output_tokens: number; total_tokens: number };
  previous_response_id: string | null;
  store: boolean;
}
interface StreamEvent {
  type: string;
  sequence_number: number;
  [field: string]: unknown;
}

async function streamEvents(res: Response): Promise<{ events: StreamEvent[]; names: string[] }> {
  const events: StreamEvent[] = [];
  const names: string[] = [];
  for await (const frame of readSSEFrames(res.body!)) {
    const event: StreamEvent = JSON.parse(frame.data);
    names.push(frame.event ?? "");
    events.push(event);
  }
  return { events, names };
}

/** Event types with runs of text deltas and annotations collapsed (their count depends on chunking). */
function shape(events: StreamEvent[]): string[] {
  const types: string[] = [];
  for (const { type } of events) {
    const collapsible = type === "response.output_text.delta" || type === "response.output_text.annotation.added";
    if (collapsible && types[types.length - 1] === "text…") continue;
    types.push(collapsible ? "text…" : type);
  }
  return types;
}

const post = (body: object, engine = createFakeEngine()) => request("/v1/responses", postJson({ model: "megrez", ...body }), { ENGINE: engine });

describe("POST /v1/responses", () => {
  beforeAll(async () => {
    const index = await env.ASSETS.fetch("https://assets.local/corpus/index.json");
    await index.body?.cancel();
    if (!index.ok) throw new Error("dist/assets/corpus is not built: run `npm run build:index` first");
  });

  it("answers a searched question with a web_search_call item, then a message with url_citation annotations", async () => {
    const res = await post({ input: SEARCHED, tools: WEB_SEARCH, tool_choice: "required", include: ["web_search_call.action.sources"] });
    expect(res.status).toBe(200);
    const response: ResponseObject = await res.json();
    expect(response).toMatchObject({ object: "response", status: "completed", error: null, store: true, previous_response_id: null });
    expect(response.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(response.output.map((item) => [item.type, item.status])).toEqual([
      ["web_search_call", "completed"],
      ["message", "completed"],
    ]);
    const [search, message] = response.output as [OutputItem, OutputItem];
    expect(search.action).toMatchObject({ type: "search", query: "edge api citations" });
    expect(search.action?.sources?.length).toBeGreaterThanOrEqual(2);
    const text = message.content?.[0];
    expect(text?.type).toBe("output_text");
    expect(text?.annotations).toHaveLength(2);
    for (const [i, annotation] of (text?.annotations ?? []).entries()) {
      expect(annotation.type).toBe("url_citation");
      expect(annotation.url.startsWith(`${ORIGIN}/corpus/`)).toBe(true);
      expect(text?.text.slice(annotation.start_index, annotation.end_index)).toBe(`[${i + 1}](${annotation.url})`);
      expect(search.action?.sources?.[i]?.url).toBe(annotation.url);
    }
    expect(response.usage.total_tokens).toBe(response.usage.input_tokens + response.usage.output_tokens);
  });

  it("answers without search as a single message item", async () => {
    const response: ResponseObject = await (await post({ input: "hi", tools: WEB_SEARCH, tool_choice: "none" })).json();
    expect(response.output.map((item) => item.type)).toEqual(["message"]);
    expect(response.output[0]?.content?.[0]?.text).toBe("Hello from the fake engine.");
  });

  it("streams the exact Responses event sequence for a searched answer", async () => {
    const res = await post({ input: SEARCHED, tools: WEB_SEARCH, tool_choice: "required", stream: true });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const { events, names } = await streamEvents(res);
    expect(names).toEqual(events.map((event) => event.type));
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, i) => i));
    expect(shape(events)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.web_search_call.in_progress",
      "response.web_search_call.searching",
      "response.web_search_call.completed",
      "response.output_item.done",
      "response.output_item.added",
      "response.content_part.added",
      "text…",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const text = events
      .filter((event) => event.type === "response.output_text.delta")
      .map((event) => event.delta)
      .join("");
    const annotations = events.filter((event) => event.type === "response.output_text.annotation.added");
    expect(annotations.map((event) => event.annotation_index)).toEqual([0, 1]);
    for (const event of annotations) {
      const annotation = event.annotation as Annotation;
      expect(text.slice(annotation.start_index, annotation.end_index)).toBe(`[${Number(event.annotation_index) + 1}](${annotation.url})`);
    }
    const completed = events[events.length - 1]?.response as ResponseObject;
    expect(completed.status).toBe("completed");
    expect(completed.output[1]?.content?.[0]?.text).toBe(text);
    expect(events[0]?.response).toMatchObject({ status: "in_progress", output: [] });
  });

  it("streams the exact sequence for an unsearched answer", async () => {
    const { events } = await streamEvents(await post({ input: "hi", stream: true }));
    expect(shape(events)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "text…",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
  });

  it("counts annotation offsets in UTF-16 code units after CJK and astral characters", async () => {
    const reply = (messages: FakeEngineMessage[]) =>
      messages[messages.length - 1]?.role === "observation" ? "漢字𠀀テキスト [citation:1] 続き。" : SEARCH_CALL;
    const engine = createFakeEngine({ reply, chunkSize: 3 });
    const response: ResponseObject = await (await post({ input: SEARCHED, tools: WEB_SEARCH, tool_choice: "required" }, engine)).json();
    const text = response.output[1]?.content?.[0];
    const annotation = text?.annotations[0];
    // "漢字𠀀テキスト " is 8 code points but 9 UTF-16 code units (𠀀 is a surrogate pair).
    expect(annotation?.start_index).toBe(9);
    expect(text?.text.slice(annotation?.start_index, annotation?.end_index)).toBe(`[1](${annotation?.url})`);
    expect(text?.text.endsWith(") 続き。")).toBe(true);
  });

  it("closes the message written before a search and continues the answer in a new message item", async () => {
    const reply = (messages: FakeEngineMessage[]) =>
      messages[messages.length - 1]?.role === "observation" ? "Found it [citation:1]." : `Let me look that up. ${SEARCH_CALL}`;
    const { events } = await streamEvents(await post({ input: SEARCHED, tools: WEB_SEARCH, stream: true }, createFakeEngine({ reply })));
    const response = events[events.length - 1]?.response as ResponseObject;
    expect(response.output.map((item) => item.type)).toEqual(["message", "web_search_call", "message"]);
    expect(response.output[0]?.content?.[0]?.text).toBe("Let me look that up. ");
    const answer = response.output[2]?.content?.[0];
    expect(answer?.text).toMatch(/^Found it \[1\]\(https:\/\/edge\.test\/corpus\/[^)]+\)\.$/);
    expect(answer?.annotations[0]?.start_index).toBe("Found it ".length);
    const done = events.filter((event) => event.type === "response.output_item.done").map((event) => (event.item as OutputItem).type);
    expect(done).toEqual(["message", "web_search_call", "message"]);
  });

  it("continues a stored conversation with previous_response_id and serves the stored response", async () => {
    const engine = createFakeEngine();
    const first: ResponseObject = await (await post({ input: "My name is Ada.", instructions: "Be brief." }, engine)).json();
    const second: ResponseObject = await (await post({ input: "What is my name?", previous_response_id: first.id }, engine)).json();
    expect(second.previous_response_id).toBe(first.id);
    const sent = engine.calls.filter((call) => call.path === "/v1/chat/completions")[1]?.body.messages ?? [];
    expect(sent.map((m) => [m.role, textOf(m)]).slice(1)).toEqual([
      ["user", "My name is Ada."],
      ["assistant", "Hello from the fake engine."],
      ["user", "What is my name?"],
    ]);
    expect(textOf(sent[0])).not.toContain("Be brief.");
    const stored = await request(`/v1/responses/${first.id}`);
    expect(stored.status).toBe(200);
    expect(await stored.json()).toEqual(first);
    const deleted = await request(`/v1/responses/${first.id}`, { method: "DELETE" });
    expect(await deleted.json()).toEqual({ id: first.id, object: "response", deleted: true });
    expect((await request(`/v1/responses/${first.id}`)).status).toBe(404);
  });

  it("keeps nothing with store: false", async () => {
    const response: ResponseObject = await (await post({ input: "Remember nothing.", store: false })).json();
    expect(response.store).toBe(false);
    expect((await request(`/v1/responses/${response.id}`)).status).toBe(404);
    const next = await post({ input: "And now?", previous_response_id: response.id });
    expect(next.status).toBe(400);
    expect(await errorOf(next)).toMatchObject({ code: "previous_response_not_found" });
  });

  it("reports a failed answer as response.failed when streaming and as 502 otherwise", async () => {
    const failing = () => createFakeEngine({ failWith: { status: 500, body: "boom" } });
    const { events } = await streamEvents(await post({ input: "hi", stream: true }, failing()));
    expect(events.map((event) => event.type)).toEqual(["response.created", "response.in_progress", "response.failed"]);
    const failed = events[2]?.response as ResponseObject;
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("engine_unavailable");
    expect(failed.error?.message.length).toBeGreaterThan(0);
    expect(JSON.stringify(failed)).not.toContain("boom");
    const plain = await post({ input: "hi" }, failing());
    expect(plain.status).toBe(502);
    expect((await errorOf(plain)).code).toBe("engine_unavailable");
  });

  it("answers a failure with the status chat completions gives it: a busy engine is a 503 with Retry-After", async () => {
    const busy = () => createFakeEngine({ failWith: { status: 429, body: "queue full", headers: { "retry-after": "5" } } });
    const plain = await post({ input: "hi" }, busy());
    expect(plain.status).toBe(503);
    expect(plain.headers.get("retry-after")).toBe("5");
    expect((await errorOf(plain)).code).toBe("engine_overloaded");
    const { events } = await streamEvents(await post({ input: "hi", stream: true }, busy()));
    expect(events.at(-1)).toMatchObject({ type: "response.failed", response: { status: "failed", error: { code: "engine_overloaded" } } });
  });

  it("a max_output_tokens the context cannot hold is a 400 naming max_output_tokens", async () => {
    const res = await post({ input: "hi", max_output_tokens: 5000 });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: "context_length_exceeded", param: "max_output_tokens" });
  });

  it("an answer the engine cuts off is never a completed response, whatever text it had", async () => {
    const cut = () => createFakeEngine({ cut: { afterChunks: 3, how: "close" } });
    const { events } = await streamEvents(await post({ input: "Say hello", stream: true }, cut()));
    const types = events.map((event) => event.type);
    expect(types).toContain("response.output_text.delta");
    expect(types).not.toContain("response.completed");
    expect(types.at(-1)).toBe("response.failed");
    const failed = events.at(-1)?.response as ResponseObject;
    expect(failed).toMatchObject({ status: "failed", error: { code: "engine_unavailable" } });
    expect(failed.output.at(-1)).toMatchObject({ type: "message", status: "incomplete" });
    const plain = await post({ input: "Say hello" }, cut());
    expect(plain.status).toBe(502);
    expect((await errorOf(plain)).code).toBe("engine_unavailable");
  });

  it.each([
    [{ tools: [{ type: "function", name: "f" }] }, "tools.0.type: only the web_search tool"],
    [{ background: true }, "background:"],
    [{ reasoning: { effort: "high" } }, "reasoning:"],
    [{ conversation: "conv_1" }, "conversation:"],
    [{ input: [{ type: "function_call_output", call_id: "c", output: "x" }] }, "input.0.type: input items of type function_call_output are not supported"],
    [{ tool_choice: "required" }, "tool_choice: requires the web_search tool"],
    [{ text: { format: { type: "json_object" } } }, "text.format.type:"],
    [{ tools: [{ type: "web_search", filters: { allowed_domains: ["-reddit.com"] } }] }, "tools.0.filters.allowed_domains:"],
    [{ input: [{ role: "assistant", content: "hi" }] }, "input: the last input item must be a user message"],
    [
      { input: [{ role: "user", content: [{ type: "input_image", image_url: "data:image/png;base64,AA" }] }] },
      "input.0.content.0: input_image is not supported",
    ],
    [{ truncation: "disabled" }, "truncation:"],
  ])("refuses %j by name", async (fields, message) => {
    const res = await post({ input: "hi", ...fields });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain(message);
  });

  it("applies the web_search tool's allowed_domains to the search", async () => {
    const response: ResponseObject = await (
      await post({ input: SEARCHED, tools: [{ type: "web_search", filters: { allowed_domains: ["example.org"] } }], tool_choice: "required" })
    ).json();
    expect(response.output[0]).toMatchObject({ type: "web_search_call" });
    expect(response.output.flatMap((item) => item.content?.[0]?.annotations ?? [])).toEqual([]);
  });

  it("uses the deployment's search mode for tool_choice auto", async () => {
    const engine = createFakeEngine({ reply: defaultReply });
    const response: ResponseObject = await (await post({ input: SEARCHED, tools: WEB_SEARCH }, engine)).json();
    // SEARCH_MODE is auto here and the fake model calls the tool for this question.
    expect(response.output.map((item) => item.type)).toEqual(["web_search_call", "message"]);
  });
});
