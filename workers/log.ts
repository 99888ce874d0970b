/**
 * Structured log lines (one JSON object per line, as Workers Logs index them),
 * each tagged with the request id that the client also sees in x-request-id.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(requestId: string): Logger {
  const line = (level: string, message: string, fields: Record<string, unknown> = {}) =>
    JSON.stringify({ level, requestId, message, ...fields });
  return {
    info: (message, fields) => console.log(line("info", message, fields)),
    error: (message, fields) => console.error(line("error", message, fields)),
  };
}

/** A loggable description of an unexpected error (for the log only, never the client). */
export function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? err.cause.message : err.cause === undefined ? undefined : String(err.cause);
    return { error: err.name, detail: err.message, ...(cause ? { cause } : {}) };
  }
  return { error: String(err) };
}
