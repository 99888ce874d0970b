/**
 * What a failed answer is in the API's error shape, decided from the agent's
 * `error` event that ended it: a request the model's context cannot hold or
 * media the engine refused is the client's (400, naming the field), a busy
 * engine is a 503 with `Retry-After`, its deadline a 504, an engine that is
 * down, cut its stream or sent garbage a 502. The same error goes out as the
 * status of a non-streaming answer and as the error frame of a streamed one.
 * Error events of failures the agent recovered from (a search that failed, a
 * page it could not read) end no answer and are not mapped.
 */
import type { ChatEvent, ChatEventOf } from "../../agent/events";
import { ApiError, type ApiErrorCode } from "../errors";

const answerFailureCodes: Record<string, ApiErrorCode> = {
  "context-too-long": "context_length_exceeded",
  "media-rejected": "media_rejected",
  "model-rejected": "engine_rejected_request",
  "bad-request": "invalid_body",
  "model-busy": "engine_overloaded",
  "model-timeout": "engine_timeout",
  "model-unavailable": "engine_unavailable",
  "model-interrupted": "engine_unavailable",
  "model-bad-response": "engine_unavailable",
  internal: "internal_error",
};

/** Seconds a client is asked to wait when the engine named no delay. */
const DEFAULT_RETRY_AFTER_S = 1;

/** Whether this error event is one that ends the answer (as opposed to one the agent recovered from). */
export function endsTheAnswer(event: ChatEvent): event is ChatEventOf<"error"> {
  return event.type === "error" && event.code in answerFailureCodes;
}

/** The API error of an answer that finished with reason `error`, from its last answer-ending error event. */
export function answerFailure(event: ChatEventOf<"error"> | undefined): ApiError {
  if (!event) return new ApiError("engine_unavailable", "The language model is unavailable.");
  const code = answerFailureCodes[event.code] ?? "engine_unavailable";
  const headers: Record<string, string> = code === "engine_overloaded" ? { "retry-after": String(event.retryAfter ?? DEFAULT_RETRY_AFTER_S) } : {};
  return new ApiError(code, event.message, headers, event.param ?? null);
}
