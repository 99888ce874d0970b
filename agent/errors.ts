/**
 * Typed errors inside the agent. Each carries a closed `code`, a `retryable`
 * flag and a public message; whatever detail came from upstream stays in
 * `cause` and never reaches an `error` event.
 */

export const agentErrorCodes = [
  "model-unavailable",
  "model-timeout",
  "model-bad-response",
  "model-interrupted",
  "model-busy",
  "model-rejected",
  "context-too-long",
  "media-rejected",
  "search-failed",
  "search-empty",
  "page-failed",
  "summary-failed",
  "tool-call-invalid",
  "tool-unknown",
  "search-limit",
  "aborted",
  "bad-request",
  "internal",
] as const;

export type AgentErrorCode = (typeof agentErrorCodes)[number];

const publicMessages: Record<AgentErrorCode, string> = {
  "model-unavailable": "The language model is unavailable.",
  "model-timeout": "The language model did not answer in time.",
  "model-bad-response": "The language model sent a response that could not be read.",
  "model-interrupted": "The language model stopped before finishing its answer.",
  "model-busy": "The language model is busy; try again shortly.",
  "model-rejected": "The language model refused the request.",
  "context-too-long": "The request does not fit in the model's context.",
  "media-rejected": "The model could not take the attached image or audio.",
  "search-failed": "The web search failed.",
  "search-empty": "The web search returned no results.",
  "page-failed": "A page could not be read.",
  "summary-failed": "Pages could not be summarized; search snippets were used instead.",
  "tool-call-invalid": "The model produced a tool call that could not be parsed.",
  "tool-unknown": "The model asked for a tool that does not exist.",
  "search-limit": "The model asked for more searches than allowed.",
  aborted: "The request was cancelled.",
  "bad-request": "The request has no user message to answer.",
  internal: "An internal error occurred.",
};

export class AgentError extends Error {
  readonly isAgentError = true;
  readonly code: AgentErrorCode;
  readonly retryable: boolean;
  /** Safe, user-facing detail added to the public message (the engine's own reason for refusing media). */
  readonly publicDetail: string | undefined;
  /** For `model-busy`: the seconds the model server asked callers to wait (its `Retry-After`). */
  readonly retryAfterSeconds: number | undefined;
  /** The request field at fault, in OpenAI's naming (`messages`, `max_tokens`), when one is. */
  readonly param: string | undefined;
  constructor(
    code: AgentErrorCode,
    options: { retryable?: boolean; detail?: string; publicDetail?: string; cause?: unknown; retryAfterSeconds?: number; param?: string } = {},
  ) {
    super(options.detail ?? publicMessages[code], { cause: options.cause });
    this.name = "AgentError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.publicDetail = options.publicDetail;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.param = options.param;
  }
  get publicMessage(): string {
    return this.publicDetail ? `${publicMessages[this.code]} ${this.publicDetail}` : publicMessages[this.code];
  }
}

/** Structural guard: works across bundles where `instanceof` may not. */
export function isAgentError(value: unknown): value is AgentError {
  return typeof value === "object" && value !== null && (value as { isAgentError?: unknown }).isAgentError === true;
}

export function publicMessageFor(code: AgentErrorCode): string {
  return publicMessages[code];
}

export function isAbortError(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { name?: unknown }).name === "AbortError";
}
