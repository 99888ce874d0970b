/**
 * Typed engine errors. Each carries an HTTP status and an OpenAI error `type`/`code`, so the
 * server maps every failure to one public shape in one place (server/error-response.ts).
 */

export type EngineErrorCode =
  | "invalid_request"
  | "context_length_exceeded"
  | "model_not_found"
  | "queue_full"
  | "request_timeout"
  | "request_cancelled"
  | "model_folder_invalid"
  | "internal_error"
  /** The engine is draining for a restart: it finishes what it holds and takes nothing new. */
  | "engine_draining";

const STATUS: Record<EngineErrorCode, number> = {
  invalid_request: 400,
  context_length_exceeded: 400,
  model_not_found: 404,
  queue_full: 429,
  request_timeout: 408,
  request_cancelled: 400,
  model_folder_invalid: 500,
  internal_error: 500,
  engine_draining: 503,
};

export class EngineError extends Error {
  readonly status: number;
  readonly isEngineError = true;
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly param: string | null = null,
    /** Seconds a client should wait before retrying (queue_full). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = "EngineError";
    this.status = STATUS[code];
  }
}

/** Structural guard: works across module copies, unlike `instanceof` alone. */
export function isEngineError(error: unknown): error is EngineError {
  return typeof error === "object" && error !== null && "isEngineError" in error && error.isEngineError === true;
}
