/**
 * The worker's one public error contract: `{error:{message,type,code}}` with a
 * closed set of codes. Handlers throw ApiError for expected HTTP outcomes;
 * anything else is masked as `internal_error` by `toErrorResponse`, so
 * upstream bodies, keys and stack traces stay in the log.
 */
export const apiErrorCodes = {
  invalid_json: { status: 400, type: "invalid_request_error" },
  invalid_body: { status: 400, type: "invalid_request_error" },
  invalid_session_id: { status: 400, type: "invalid_request_error" },
  attachment_not_allowed: { status: 400, type: "invalid_request_error" },
  previous_response_not_found: { status: 400, type: "invalid_request_error" },
  invalid_api_key: { status: 401, type: "authentication_error" },
  origin_not_allowed: { status: 403, type: "permission_error" },
  site_key_not_allowed: { status: 403, type: "permission_error" },
  not_found: { status: 404, type: "not_found_error" },
  session_not_found: { status: 404, type: "not_found_error" },
  model_not_found: { status: 404, type: "not_found_error" },
  response_not_found: { status: 404, type: "not_found_error" },
  method_not_allowed: { status: 405, type: "invalid_request_error" },
  turn_in_progress: { status: 409, type: "invalid_request_error" },
  payload_too_large: { status: 413, type: "invalid_request_error" },
  unsupported_media_type: { status: 415, type: "invalid_request_error" },
  rate_limited: { status: 429, type: "rate_limit_error" },
  config_invalid: { status: 500, type: "server_error" },
  internal_error: { status: 500, type: "server_error" },
  engine_unavailable: { status: 502, type: "server_error" },
} as const;

export type ApiErrorCode = keyof typeof apiErrorCodes;
export type ApiErrorType = (typeof apiErrorCodes)[ApiErrorCode]["type"];
export type ApiErrorStatus = (typeof apiErrorCodes)[ApiErrorCode]["status"];

export interface ApiErrorBody {
  error: { message: string; type: ApiErrorType; code: ApiErrorCode };
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
  ) {
    super(message);
    this.name = "ApiError";
    this.status = apiErrorCodes[code].status;
    this.type = apiErrorCodes[code].type;
  }
  get body(): ApiErrorBody {
    return { error: { message: this.message, type: this.type, code: this.code } };
  }
}

/** Structural guard: survives bundling and realms where `instanceof` may not. */
export function isApiError(value: unknown): value is ApiError {
  return typeof value === "object" && value !== null && "isApiError" in value && value.isApiError === true;
}

/** The masked form of an unexpected error. */
export const internalError = (): ApiError => new ApiError("internal_error", "An internal error occurred.");

export function errorResponse(err: ApiError, extraHeaders: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(err.body), {
    status: err.status,
    headers: { "content-type": "application/json; charset=utf-8", ...err.headers, ...extraHeaders },
  });
}
