/**
 * The one public error shape, OpenAI's `{error: {message, type, param, code}}`, and the
 * mapping from engine errors, bad image/audio input (the media embedder's), zod failures and
 * unexpected exceptions (masked) to it.
 */
import type { z } from "zod";
import { type EngineErrorCode, isEngineError } from "../engine/engine-errors";
import { isOmniInputError } from "../omni/omni-input-error";

export interface OpenAiError {
  error: { message: string; type: string; param: string | null; code: string };
}

const TYPE_BY_CODE: Record<EngineErrorCode, string> = {
  invalid_request: "invalid_request_error",
  context_length_exceeded: "invalid_request_error",
  model_not_found: "invalid_request_error",
  queue_full: "rate_limit_error",
  request_timeout: "timeout_error",
  request_cancelled: "invalid_request_error",
  model_folder_invalid: "server_error",
  internal_error: "server_error",
  engine_draining: "server_error",
};

export interface ErrorReply {
  status: number;
  body: OpenAiError;
  headers: Record<string, string>;
}

/** Errors the engine raises on purpose (a bad request, a full queue...): answered as they are, not logged as faults. */
export function isExpectedError(error: unknown): boolean {
  return isEngineError(error) || isOmniInputError(error);
}

export function errorReply(error: unknown): ErrorReply {
  if (isEngineError(error)) {
    const headers: Record<string, string> = error.retryAfterSeconds === null ? {} : { "Retry-After": String(error.retryAfterSeconds) };
    return { status: error.status, headers, body: { error: { message: error.message, type: TYPE_BY_CODE[error.code], param: error.param, code: error.code } } };
  }
  if (isOmniInputError(error)) {
    return {
      status: 400,
      headers: {},
      body: { error: { message: error.message, type: "invalid_request_error", param: error.param, code: "invalid_request" } },
    };
  }
  // Unexpected failures are logged by the caller; the client gets no internals.
  return { status: 500, headers: {}, body: { error: { message: "internal server error", type: "server_error", param: null, code: "internal_error" } } };
}

export function validationReply(error: z.ZodError): ErrorReply {
  const issue = error.issues[0];
  const param = issue && issue.path.length > 0 ? issue.path.join(".") : null;
  const message = error.issues.map((item) => `${item.path.length > 0 ? `${item.path.join(".")}: ` : ""}${item.message}`).join("; ");
  return { status: 400, headers: {}, body: { error: { message, type: "invalid_request_error", param, code: "invalid_request" } } };
}
