/**
 * The streaming form of /v1/chat/completions: the agent's events become
 * `chat.completion.chunk` frames (`data: <json>`), ending with `data: [DONE]`.
 * An answer that failed, before or after its first text, ends with one
 * `data: {"error":…}` frame instead (the OpenAI SDKs raise it): no
 * `finish_reason` and no `[DONE]`, so no client takes it as complete. The
 * frames are written, kept alive and cancelled by workers/sse-stream.ts; the
 * events come through its finish guarantee, so they always end with `finish`.
 * Sonar's `citations` / `search_results` ride on the first chunk after the
 * sources are known; `related_questions`, when asked, on the finishing chunk.
 */
import type { ChatEvent, ChatEventOf } from "../../agent/events";
import { jsonFrame, sseFrame } from "../sse-stream";
import { answerFailure, endsTheAnswer } from "./answer-failure";
import { CitationLinker, type LinkedText, type UrlCitation } from "./citation-links";
import { toOpenAIUsage, toTurnUsage, type CompletionMeta, type RelatedQuestionsWriter } from "./completion";
import { SonarSources } from "./sonar-fields";

interface Delta {
  role?: "assistant";
  content?: string;
  annotations?: UrlCitation[];
}

export interface ChunkFrameOptions {
  includeUsage: boolean;
  relatedQuestions?: RelatedQuestionsWriter;
}

export const DONE_FRAME = sseFrame({ data: "[DONE]" });

/** The frames for the agent's events, in order. */
export async function* openAIChunkFrames(events: AsyncIterable<ChatEvent>, meta: CompletionMeta, options: ChunkFrameOptions): AsyncGenerator<string> {
  const sonar = new SonarSources();
  const chunk = (delta: Delta, finishReason: "stop" | "length" | null = null, extra: object = {}) =>
    jsonFrame({
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

  // The role chunk goes out with the first frame of the answer rather than at once, so that
  // Sonar's `citations` ride on the stream's first chunk when a search came first (as
  // Perplexity's clients read them); keep-alive comments cover the wait.
  let roleSent = false;
  function* role(): Generator<string> {
    if (roleSent) return;
    roleSent = true;
    yield chunk({ role: "assistant", content: "" });
  }
  function* withRole(part: LinkedText): Generator<string> {
    if (part.text.length === 0 && part.annotations.length === 0) return;
    yield* role();
    yield* content(part);
  }
  const linker = new CitationLinker();
  let failure: ChatEventOf<"error"> | undefined;
  let answer = "";
  for await (const event of events) {
    sonar.observe(event);
    if (event.type === "source") linker.addSource(event.index, event.url, event.title);
    else if (endsTheAnswer(event)) failure = event;
    else if (event.type === "text-delta") {
      const part = linker.push(event.delta);
      answer += part.text;
      yield* withRole(part);
    } else if (event.type === "finish") {
      const tail = linker.end();
      answer += tail.text;
      yield* withRole(tail);
      // The client went away (that is what aborts a stream): nobody reads an ending.
      if (event.reason === "aborted") return;
      yield* role();
      if (event.reason === "error") {
        yield jsonFrame(answerFailure(failure).body);
        return;
      }
      const related = options.relatedQuestions ? await options.relatedQuestions(answer) : undefined;
      yield chunk({}, event.reason === "length" ? "length" : "stop", related ? { related_questions: related.questions } : {});
      if (options.includeUsage) {
        const turnUsage = toTurnUsage(event, related?.usage);
        yield jsonFrame({ ...meta, object: "chat.completion.chunk", choices: [], usage: toOpenAIUsage(event.usage), turn_usage: turnUsage });
      }
      yield DONE_FRAME;
      return;
    }
  }
}
