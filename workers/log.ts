/**
 * Structured log lines (one JSON object per line, as Workers Logs index them),
 * each tagged with the request id that the client also sees in x-request-id.
 * LOG_LEVEL picks what is written: `info` (every request), `error` (failures only), `silent`.
 */
export const LOG_LEVELS = ["info", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(requestId: string, level: LogLevel = "info"): Logger {
  const line = (lineLevel: string, message: string, fields: Record<string, unknown> = {}) =>
    JSON.stringify({ level: lineLevel, requestId, message, ...fields });
  return {
    info: (message, fields) => {
      if (level === "info") console.log(line("info", message, fields));
    },
    error: (message, fields) => {
      if (level !== "silent") console.error(line("error", message, fields));
    },
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
