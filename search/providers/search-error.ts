/**
 * The one error type search providers throw. `kind` is the closed SearchErrorKind union from the
 * contract; callers branch on it (or on `retryable`), never on message text. Messages may carry
 * upstream detail for logs, so the public layer maps `kind` to its own wording.
 */
import type { SearchErrorKind } from "../types";

export class SearchError extends Error {
  readonly kind: SearchErrorKind;
  readonly provider: string;
  readonly status?: number;
  /** Seconds to wait before retrying, from a Retry-After header (rate-limited only). */
  readonly retryAfterSeconds?: number;
  readonly isSearchError = true;

  constructor(options: { kind: SearchErrorKind; provider: string; message: string; status?: number; retryAfterSeconds?: number; cause?: unknown }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SearchError";
    this.kind = options.kind;
    this.provider = options.provider;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** Worth trying again later (or on another provider) without changing anything. */
  get retryable(): boolean {
    return this.kind === "rate-limited" || this.kind === "timeout" || this.kind === "upstream";
  }
}

/** Structural guard: works across bundles where `instanceof` would not. */
export function isSearchError(value: unknown): value is SearchError {
  return (
    value instanceof SearchError || (typeof value === "object" && value !== null && "isSearchError" in value && value.isSearchError === true && "kind" in value)
  );
}
