/**
 * JSON.parse behind a result union: model output and upstream bodies are
 * untrusted, and a parse failure is an expected outcome, not an exception.
 */

export type ParseResult = { ok: true; value: unknown } | { ok: false; error: string };

export function safeParseJSON(text: string): ParseResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
