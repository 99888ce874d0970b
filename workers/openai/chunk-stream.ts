/**
 * The streaming form of /v1/chat/completions: the agent's events become
 * `chat.completion.chunk` frames (`data: <json>`), ending with `data: [DONE]`.
 * This is the one place OpenAI frames are written. Comment frames keep the
 * connection alive while the agent searches; a failure after the stream began
 * is sent as `data: {"error":…}` (the OpenAI SDKs raise it). Cancelling the
 * response (client gone) aborts the agent through `abort`.
 */
import type { ChatEvent } from "../../agent/events";
import { CitationLinker, type UrlCitation } from "./citation-links";
import type { CompletionMeta } from "./completion";

export const OPENAI_STREAM_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
} as const;

interface Delta {
  role?: "assistant";
  content?: string;
  annotations?: UrlCitation[];
}

export interface ChunkStreamOptions {
  includeUsage: boolean;
  keepAliveMs: number;
  abort: () => void;
  onError: (err: unknown) => void;
}

export function toChunkStream(events: AsyncIterable<ChatEvent>, meta: CompletionMeta, options: ChunkStreamOptions): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let timer: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      // Pumped detached: the response must be returned while the agent still works.
      void pump(controller);
    },
    cancel() {
      closed = true;
      if (timer) clearInterval(timer);
      options.abort();
    },
  });

  async function pump(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    let lastWrite = Date.now();
    const write = (frame: string) => {
      if (closed) return;
      lastWrite = Date.now();
      controller.enqueue(encoder.encode(frame));
    };
    const chunk = (delta: Delta, finishReason: string | null = null) =>
      write(
        `data: ${JSON.stringify({
          id: meta.id,
          object: "chat.completion.chunk",
          created: meta.created,
          model: meta.model,
          choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
        })}\n\n`,
      );
    if (options.keepAliveMs > 0) {
      timer = setInterval(() => {
        if (Date.now() - lastWrite >= options.keepAliveMs) write(": keep-alive\n\n");
      }, Math.max(250, Math.floor(options.keepAliveMs / 2)));
    }
    chunk({ role: "assistant", content: "" });
    const linker = new CitationLinker();
    const emit = (part: { text: string; annotations: UrlCitation[] }) => {
      if (part.text.length === 0 && part.annotations.length === 0) return;
      chunk(part.annotations.length > 0 ? { content: part.text, annotations: part.annotations } : { content: part.text });
    };
    let sentText = false;
    let lastError: { message: string; code: string } | undefined;
    try {
      for await (const event of events) {
        if (event.type === "source") linker.addSource(event.index, event.url, event.title);
        else if (event.type === "text-delta") {
          const part = linker.push(event.delta);
          sentText ||= part.text.length > 0;
          emit(part);
        } else if (event.type === "error") lastError = { message: event.message, code: event.code };
        else if (event.type === "finish") {
          emit(linker.end());
          if (event.reason === "error" && !sentText) {
            const message = lastError?.message ?? "The language model is unavailable.";
            write(`data: ${JSON.stringify({ error: { message, type: "server_error", code: "engine_unavailable" } })}\n\n`);
            return;
          }
          chunk({}, event.reason === "length" ? "length" : "stop");
          if (options.includeUsage) {
            const usage = {
              prompt_tokens: event.usage.promptTokens,
              completion_tokens: event.usage.completionTokens,
              total_tokens: event.usage.promptTokens + event.usage.completionTokens,
            };
            write(`data: ${JSON.stringify({ id: meta.id, object: "chat.completion.chunk", created: meta.created, model: meta.model, choices: [], usage })}\n\n`);
          }
          write("data: [DONE]\n\n");
          return;
        }
      }
      // The agent always ends with `finish`; reaching here means it broke its contract.
      throw new Error("agent stream ended without a finish event");
    } catch (err) {
      options.onError(err);
      write(`data: ${JSON.stringify({ error: { message: "An internal error occurred.", type: "server_error", code: "internal_error" } })}\n\n`);
    } finally {
      if (timer) clearInterval(timer);
      if (!closed) {
        closed = true;
        controller.close();
      }
    }
  }
}
