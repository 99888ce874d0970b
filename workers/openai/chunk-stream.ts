/**
 * The streaming form of /v1/chat/completions: the agent's events become
 * `chat.completion.chunk` frames (`data: <json>`), ending with `data: [DONE]`.
 * This is the one place OpenAI stream frames are written. Comment frames keep
 * the connection alive while the agent searches; a failure after the stream
 * began is sent as `data: {"error":…}` (the OpenAI SDKs raise it). Cancelling
 * the response (client gone) aborts the agent through `abort`. Sonar's
 * `citations` / `search_results` ride on the first chunk after the sources are
 * known; `related_questions`, when asked, on the finishing chunk.
 */
import type { ChatEvent } from "../../agent/events";
import { CitationLinker, type LinkedText, type UrlCitation } from "./citation-links";
import { toOpenAIUsage, type CompletionMeta, type RelatedQuestionsWriter } from "./completion";
import { SonarSources } from "./sonar-fields";

export const OPENAI_STREAM_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
} as const;

const KEEP_ALIVE_FRAME = ": keep-alive\n\n";

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
  relatedQuestions?: RelatedQuestionsWriter;
}

const dataFrame = (json: unknown) => `data: ${JSON.stringify(json)}\n\n`;

const errorFrame = (message: string, code: "engine_unavailable" | "internal_error") => dataFrame({ error: { message, type: "server_error", code } });

/** The frames for the agent's events, in order; pure apart from `onError`. */
export async function* openAIFrames(
  events: AsyncIterable<ChatEvent>,
  meta: CompletionMeta,
  options: Pick<ChunkStreamOptions, "includeUsage" | "onError" | "relatedQuestions">,
): AsyncGenerator<string> {
  const sonar = new SonarSources();
  const chunk = (delta: Delta, finishReason: "stop" | "length" | null = null, extra: object = {}) =>
    dataFrame({
      ...meta,
      object: "chat.completion.chunk",
      ...sonar.takeIfChanged(),
      ...extra,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    });
  const content = (part: LinkedText): string[] =>
    part.text.length === 0 && part.annotations.length === 0
      ? []
      : [chunk(part.annotations.length > 0 ? { content: part.text, annotations: part.annotations } : { content: part.text })];

  yield chunk({ role: "assistant", content: "" });
  const linker = new CitationLinker();
  let sentText = false;
  let lastError: string | undefined;
  let answer = "";
  try {
    for await (const event of events) {
      sonar.observe(event);
      if (event.type === "source") linker.addSource(event.index, event.url, event.title);
      else if (event.type === "error") lastError = event.message;
      else if (event.type === "text-delta") {
        const part = linker.push(event.delta);
        answer += part.text;
        sentText ||= part.text.length > 0;
        yield* content(part);
      } else if (event.type === "finish") {
        const tail = linker.end();
        answer += tail.text;
        yield* content(tail);
        if (event.reason === "error" && !sentText) {
          yield errorFrame(lastError ?? "The language model is unavailable.", "engine_unavailable");
          return;
        }
        const related = options.relatedQuestions ? { related_questions: await options.relatedQuestions(answer) } : {};
        yield chunk({}, event.reason === "length" ? "length" : "stop", related);
        if (options.includeUsage) yield dataFrame({ ...meta, object: "chat.completion.chunk", choices: [], usage: toOpenAIUsage(event.usage) });
        yield "data: [DONE]\n\n";
        return;
      }
    }
    // The agent always ends with `finish`; reaching here means it broke its contract.
    throw new Error("agent stream ended without a finish event");
  } catch (err) {
    options.onError(err);
    yield errorFrame("An internal error occurred.", "internal_error");
  }
}

export function toChunkStream(events: AsyncIterable<ChatEvent>, meta: CompletionMeta, options: ChunkStreamOptions): ReadableStream<Uint8Array> {
  const frames = openAIFrames(events, meta, options);
  const encoder = new TextEncoder();
  let timer: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  const stop = () => {
    closed = true;
    if (timer) clearInterval(timer);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let lastWrite = Date.now();
      const write = (frame: string) => {
        if (closed) return;
        lastWrite = Date.now();
        controller.enqueue(encoder.encode(frame));
      };
      if (options.keepAliveMs > 0) {
        timer = setInterval(
          () => {
            if (Date.now() - lastWrite >= options.keepAliveMs) write(KEEP_ALIVE_FRAME);
          },
          Math.max(250, Math.floor(options.keepAliveMs / 2)),
        );
      }
      // Pumped detached: the response goes out while the agent still works.
      void (async () => {
        for await (const frame of frames) {
          if (closed) break;
          write(frame);
        }
        if (!closed) controller.close();
        stop();
      })();
    },
    cancel() {
      stop();
      options.abort();
    },
  });
}
