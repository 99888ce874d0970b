/**
 * Turns the agent's events into OpenAI Responses API output, as the `openai`
 * SDK's types define it: one `web_search_call` item per search (`action:
 * {type: "search", query}`), then a `message` item whose `output_text` carries
 * `url_citation` annotations (UTF-16 offsets into that item's text, covering
 * the `[n](url)` link). The same assembler gives the streaming events
 * (`response.created`, `response.in_progress`, `response.output_item.added`,
 * `response.web_search_call.in_progress` / `.searching` / `.completed`,
 * `response.content_part.added`, `response.output_text.delta`,
 * `response.output_text.annotation.added`, `…done`, and one of
 * `response.completed` / `response.incomplete` / `response.failed`) and the
 * final response object, so the two forms cannot disagree. Text written before
 * a later search closes its message item; the answer continues in a new one.
 * A failed answer is never a completed response: `status: "failed"` with the
 * error chat completions would answer (workers/openai/answer-failure.ts), its
 * `param` in this API's terms.
 */
import type { ChatEvent, ChatEventOf } from "../../agent/events";
import { ApiError } from "../errors";
import { answerFailure, endsTheAnswer } from "../openai/answer-failure";
import { CitationLinker, type LinkedText } from "../openai/citation-links";

export interface UrlCitationAnnotation {
  type: "url_citation";
  start_index: number;
  end_index: number;
  url: string;
  title: string;
}

export interface OutputText {
  type: "output_text";
  text: string;
  annotations: UrlCitationAnnotation[];
  logprobs: never[];
}

export interface WebSearchCallItem {
  type: "web_search_call";
  id: string;
  status: "in_progress" | "searching" | "completed" | "failed";
  action: { type: "search"; query: string; queries: string[]; sources?: { type: "url"; url: string }[] };
}

export interface MessageItem {
  type: "message";
  id: string;
  status: "in_progress" | "completed" | "incomplete";
  role: "assistant";
  content: OutputText[];
}

export type OutputItem = WebSearchCallItem | MessageItem;

export type ResponseStatus = "in_progress" | "completed" | "incomplete" | "failed";

/** The request's settings a response object echoes back. */
export interface ResponseEcho {
  id: string;
  created_at: number;
  model: string;
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  store: boolean;
  temperature: number | null;
  top_p: number | null;
  tool_choice: unknown;
  tools: unknown[];
  truncation: "auto";
}

export interface ResponseObject extends ResponseEcho {
  object: "response";
  status: ResponseStatus;
  completed_at: number | null;
  /** The failure's API error code (`engine_unavailable`, `engine_overloaded`, `context_length_exceeded`, …). */
  error: { code: string; message: string } | null;
  incomplete_details: { reason: "max_output_tokens" } | null;
  output: OutputItem[];
  text: { format: { type: "text" } };
  usage: {
    input_tokens: number;
    input_tokens_details: { cached_tokens: number };
    output_tokens: number;
    output_tokens_details: { reasoning_tokens: number };
    total_tokens: number;
  } | null;
}

/** One streaming event; `type` is also the SSE `event:` name. */
export type ResponseStreamEvent = { type: string; sequence_number: number } & Record<string, unknown>;

export interface AssemblerOptions {
  /** Add `action.sources` to web_search_call items (`include: ["web_search_call.action.sources"]`). */
  includeSources: boolean;
  newId: (prefix: "ws" | "msg") => string;
  now: () => number;
}

interface OpenMessage {
  item: MessageItem;
  index: number;
  /** Offset of this item's text in the linker's whole text. */
  base: number;
  started: boolean;
}

const clone = <T>(value: T): T => structuredClone(value);

export class ResponseAssembler {
  private readonly linker = new CitationLinker();
  private readonly output: OutputItem[] = [];
  private readonly events: ResponseStreamEvent[] = [];
  private sequence = 0;
  private status: ResponseStatus = "in_progress";
  private search: { item: WebSearchCallItem; index: number; ended: boolean; failed: boolean } | undefined;
  private message: OpenMessage | undefined;
  private linkedLength = 0;
  private answerError: ChatEventOf<"error"> | undefined;
  private error: ResponseObject["error"] = null;
  /** Why the answer failed, as the API error a non-streaming request is answered with. */
  failure: ApiError | undefined;
  private incomplete: ResponseObject["incomplete_details"] = null;
  private usage: ResponseObject["usage"] = null;
  private completedAt: number | null = null;
  /** The answer as the agent wrote it (`[n]` markers), for the stored conversation. */
  answer = "";
  readonly sources = new Map<number, { index: number; url: string; title: string }>();

  constructor(
    private readonly echo: ResponseEcho,
    private readonly options: AssemblerOptions,
  ) {}

  /** `response.created` and `response.in_progress`. */
  start(): ResponseStreamEvent[] {
    this.emit("response.created", { response: this.response() });
    this.emit("response.in_progress", { response: this.response() });
    return this.take();
  }

  /** The streaming events one agent event causes (often none). */
  push(event: ChatEvent): ResponseStreamEvent[] {
    if (this.search?.ended && event.type !== "source") this.endSearch();
    switch (event.type) {
      case "search-start":
        this.closeMessage("completed");
        this.startSearch(event.query);
        break;
      case "search-end":
        if (this.search) this.search.ended = true;
        break;
      case "source":
        this.linker.addSource(event.index, event.url, event.title);
        this.sources.set(event.index, { index: event.index, url: event.url, title: event.title });
        this.search?.item.action.sources?.push({ type: "url", url: event.url });
        break;
      case "error":
        if (endsTheAnswer(event)) this.answerError = event;
        if (event.code === "search-failed" && this.search) this.search.failed = true;
        break;
      case "text-delta":
        this.answer += event.delta;
        this.addText(this.linker.push(event.delta));
        break;
      case "finish":
        this.finish(event);
        break;
      default:
        break;
    }
    return this.take();
  }

  /** The response object as it stands (final after `finish`). */
  response(): ResponseObject {
    return {
      ...this.echo,
      object: "response",
      status: this.status,
      completed_at: this.completedAt,
      error: this.error,
      incomplete_details: this.incomplete,
      output: clone(this.output),
      text: { format: { type: "text" } },
      usage: this.usage,
    };
  }

  get finalStatus(): ResponseStatus {
    return this.status;
  }

  private emit(type: string, fields: Record<string, unknown>): void {
    this.events.push({ type, sequence_number: this.sequence++, ...fields });
  }

  private take(): ResponseStreamEvent[] {
    return this.events.splice(0, this.events.length);
  }

  private startSearch(query: string): void {
    const item: WebSearchCallItem = {
      type: "web_search_call",
      id: this.options.newId("ws"),
      status: "in_progress",
      action: { type: "search", query, queries: [query], ...(this.options.includeSources ? { sources: [] } : {}) },
    };
    const index = this.output.push(item) - 1;
    this.search = { item, index, ended: false, failed: false };
    this.emit("response.output_item.added", { output_index: index, item: clone(item) });
    this.emit("response.web_search_call.in_progress", { output_index: index, item_id: item.id });
    item.status = "searching";
    this.emit("response.web_search_call.searching", { output_index: index, item_id: item.id });
  }

  private endSearch(): void {
    const search = this.search;
    if (!search) return;
    this.search = undefined;
    search.item.status = search.failed ? "failed" : "completed";
    if (!search.failed) this.emit("response.web_search_call.completed", { output_index: search.index, item_id: search.item.id });
    this.emit("response.output_item.done", { output_index: search.index, item: clone(search.item) });
  }

  private openMessage(): OpenMessage {
    if (this.message) return this.message;
    const item: MessageItem = { type: "message", id: this.options.newId("msg"), status: "in_progress", role: "assistant", content: [] };
    const index = this.output.push(item) - 1;
    this.message = { item, index, base: this.linkedLength, started: false };
    return this.message;
  }

  private addText(part: LinkedText): void {
    const start = this.linkedLength;
    this.linkedLength += part.text.length;
    let text = part.text;
    let message = this.message;
    if (!message) {
      // A message opens with its first visible character: the agent's paragraph break after a search is not kept.
      const lead = /^\s*/.exec(text)?.[0].length ?? 0;
      if (lead === text.length && part.annotations.length === 0) return;
      text = text.slice(lead);
      message = this.openMessage();
      message.base = start + lead;
    }
    if (!message.started) {
      message.started = true;
      this.emit("response.output_item.added", { output_index: message.index, item: clone(message.item) });
      message.item.content.push({ type: "output_text", text: "", annotations: [], logprobs: [] });
      this.emit("response.content_part.added", {
        output_index: message.index,
        item_id: message.item.id,
        content_index: 0,
        part: clone(message.item.content[0]),
      });
    }
    const content = message.item.content[0] as OutputText;
    if (text.length > 0) {
      content.text += text;
      this.emit("response.output_text.delta", { output_index: message.index, item_id: message.item.id, content_index: 0, delta: text, logprobs: [] });
    }
    for (const citation of part.annotations) {
      const annotation: UrlCitationAnnotation = {
        type: "url_citation",
        start_index: citation.url_citation.start_index - message.base,
        end_index: citation.url_citation.end_index - message.base,
        url: citation.url_citation.url,
        title: citation.url_citation.title,
      };
      const annotationIndex = content.annotations.push(annotation) - 1;
      this.emit("response.output_text.annotation.added", {
        output_index: message.index,
        item_id: message.item.id,
        content_index: 0,
        annotation_index: annotationIndex,
        annotation,
      });
    }
  }

  private closeMessage(status: "completed" | "incomplete"): void {
    const message = this.message;
    if (!message) return;
    this.message = undefined;
    if (!message.started) {
      this.output.splice(message.index, 1);
      return;
    }
    const content = message.item.content[0] as OutputText;
    message.item.status = status;
    this.emit("response.output_text.done", { output_index: message.index, item_id: message.item.id, content_index: 0, text: content.text, logprobs: [] });
    this.emit("response.content_part.done", { output_index: message.index, item_id: message.item.id, content_index: 0, part: clone(content) });
    this.emit("response.output_item.done", { output_index: message.index, item: clone(message.item) });
  }

  private finish(event: Extract<ChatEvent, { type: "finish" }>): void {
    this.addText(this.linker.end());
    this.endSearch();
    this.usage = {
      input_tokens: event.usage.promptTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: event.usage.completionTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: event.usage.promptTokens + event.usage.completionTokens,
    };
    if (event.reason === "stop") {
      this.closeMessage("completed");
      this.status = "completed";
      this.completedAt = Math.floor(this.options.now() / 1000);
      this.emit("response.completed", { response: this.response() });
    } else if (event.reason === "length") {
      this.closeMessage("incomplete");
      this.status = "incomplete";
      this.incomplete = { reason: "max_output_tokens" };
      this.emit("response.incomplete", { response: this.response() });
    } else {
      this.closeMessage("incomplete");
      this.status = "failed";
      this.failure =
        event.reason === "aborted" ? new ApiError("request_cancelled", "The request was cancelled.") : inResponsesTerms(answerFailure(this.answerError));
      this.error = { code: this.failure.code, message: this.failure.message };
      this.emit("response.failed", { response: this.response() });
    }
  }
}

/** The failure with `param` naming this API's fields: the conversation is `input`, the budget `max_output_tokens`. */
function inResponsesTerms(failure: ApiError): ApiError {
  const param =
    failure.param === null ? null : failure.param.startsWith("messages") ? "input" : failure.param === "max_tokens" ? "max_output_tokens" : failure.param;
  return param === failure.param ? failure : new ApiError(failure.code, failure.message, failure.headers, param);
}
