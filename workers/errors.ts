/**
 * The worker's one public error contract, OpenAI's
 * `{error:{message,type,param,code}}` with a closed set of codes (`param`: the
 * request field at fault, else null). Handlers throw ApiError for expected HTTP outcomes;
 * anything else is masked as `internal_error` by `toErrorResponse`, so
 * upstream bodies, keys and stack traces stay in the log.
 */
export const apiErrorCodes = {
  invalid_json: { status: 400, type: "invalid_request_error" },
  invalid_body: { status: 400, type: "invalid_request_error" },
  invalid_query: { status: 400, type: "invalid_request_error" },
  invalid_session_id: { status: 400, type: "invalid_request_error" },
  attachment_not_allowed: { status: 400, type: "invalid_request_error" },
  previous_response_not_found: { status: 400, type: "invalid_request_error" },
  context_length_exceeded: { status: 400, type: "invalid_request_error" },
  media_rejected: { status: 400, type: "invalid_request_error" },
  engine_rejected_request: { status: 400, type: "invalid_request_error" },
  invalid_api_key: { status: 401, type: "authentication_error" },
  origin_not_allowed: { status: 403, type: "permission_error" },
  site_key_not_allowed: { status: 403, type: "permission_error" },
  not_found: { status: 404, type: "not_found_error" },
  session_not_found: { status: 404, type: "not_found_error" },
  model_not_found: { status: 404, type: "not_found_error" },
  response_not_found: { status: 404, type: "not_found_error" },
  method_not_allowed: { status: 405, type: "invalid_request_error" },
  conflict: { status: 409, type: "invalid_request_error" },
  turn_in_progress: { status: 409, type: "invalid_request_error" },
  payload_too_large: { status: 413, type: "invalid_request_error" },
  unsupported_media_type: { status: 415, type: "invalid_request_error" },
  rate_limited: { status: 429, type: "rate_limit_error" },
  /** The client went away before the answer (nginx's 499: only the log sees it). */
  request_cancelled: { status: 499, type: "invalid_request_error" },
  config_invalid: { status: 500, type: "server_error" },
  internal_error: { status: 500, type: "server_error" },
  engine_unavailable: { status: 502, type: "server_error" },
  engine_overloaded: { status: 503, type: "server_error" },
  engine_timeout: { status: 504, type: "server_error" },
  overloaded: { status: 503, type: "server_error" },
} as const;

export type ApiErrorCode = keyof typeof apiErrorCodes;
export type ApiErrorType = (typeof apiErrorCodes)[ApiErrorCode]["type"];
export type ApiErrorStatus = (typeof apiErrorCodes)[ApiErrorCode]["status"];

export interface ApiErrorBody {
  error: { message: string; type: ApiErrorType; param: string | null; code: ApiErrorCode };
}

/** An expected failure whose message is safe to show to the client. */
export class ApiError extends Error {
  readonly isApiError = true;
  readonly status: ApiErrorStatus;
  readonly type: ApiErrorType;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    /** The request field at fault (`messages`, `max_tokens`, `messages.0.content`), when one is. */
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
    this.status = apiErrorCodes[code].status;
    this.type = apiErrorCodes[code].type;
  }
  get body(): ApiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** Structural guard: survives bundling and realms where `instanceof` may not. */
export function isApiError(value: unknown): value is ApiError {
  return typeof value === "object" && value !== null && "isApiError" in value && value.isApiError === true;
}

/** What a caller (maybe unauthenticated) learns of an invalid configuration: the details go to the log. */
export const misconfigured = (): ApiError => new ApiError("config_invalid", "The service is misconfigured; its operator can find the details in the log.");

/** The masked form of an unexpected error. */
export const internalError = (): ApiError => new ApiError("internal_error", "An internal error occurred.");

export function errorResponse(err: ApiError, extraHeaders: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(err.body), {
    status: err.status,
    headers: { "content-type": "application/json; charset=utf-8", ...err.headers, ...extraHeaders },
  });
}
