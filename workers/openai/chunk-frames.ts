/**
 * The streaming form of /v1/chat/completions: the agent's events become
 * `chat.completion.chunk` frames (`data: <json>`), ending with `data: [DONE]`.
 * An answer that failed, before or after its first text, ends with one
 * `data: {"error":…}` frame instead (the OpenAI SDKs raise it): no
 * `finish_reason` and no `[DONE]`, so no client takes it as complete. The
 * frames are written, kept alive and cancelled by workers/sse-stream.ts; the
 * events come through its finish guarantee, so they always end with `finish`.
 */
import type { ChatEvent, ChatEventOf } from "../../agent/events";
import { jsonFrame, sseFrame } from "../sse-stream";
import { answerFailure, endsTheAnswer } from "./answer-failure";
import { CitationLinker, type LinkedText, type UrlCitation } from "./citation-links";
import { toOpenAIUsage, toTurnUsage, type CompletionMeta } from "./completion";

interface Delta {
  role?: "assistant";
  content?: string;
  annotations?: UrlCitation[];
}

export interface ChunkFrameOptions {
  includeUsage: boolean;
}

export const DONE_FRAME = sseFrame({ data: "[DONE]" });

/** The frames for the agent's events, in order. */
export async function* openAIChunkFrames(events: AsyncIterable<ChatEvent>, meta: CompletionMeta, options: ChunkFrameOptions): AsyncGenerator<string> {
  const chunk = (delta: Delta, finishReason: "stop" | "length" | null = null) =>
    jsonFrame({ ...meta, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] });
  const content = (part: LinkedText): string[] =>
    part.text.length === 0 && part.annotations.length === 0
      ? []
      : [chunk(part.annotations.length > 0 ? { content: part.text, annotations: part.annotations } : { content: part.text })];

  yield chunk({ role: "assistant", content: "" });
  const linker = new CitationLinker();
  let failure: ChatEventOf<"error"> | undefined;
  for await (const event of events) {
    if (event.type === "source") linker.addSource(event.index, event.url, event.title);
    else if (endsTheAnswer(event)) failure = event;
    else if (event.type === "text-delta") yield* content(linker.push(event.delta));
    else if (event.type === "finish") {
      yield* content(linker.end());
      // The client went away (that is what aborts a stream): nobody reads an ending.
      if (event.reason === "aborted") return;
      if (event.reason === "error") {
        yield jsonFrame(answerFailure(failure).body);
        return;
      }
      yield chunk({}, event.reason === "length" ? "length" : "stop");
      if (options.includeUsage) {
        yield jsonFrame({ ...meta, object: "chat.completion.chunk", choices: [], usage: toOpenAIUsage(event.usage), turn_usage: toTurnUsage(event) });
      }
      yield DONE_FRAME;
      return;
    }
  }
}
