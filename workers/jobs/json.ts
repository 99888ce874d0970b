/** Parses JSON without throwing: a result union, so callers decide what a bad document means. */
export type JsonResult = { ok: true; value: unknown } | { ok: false; error: string };

export function safeParseJson(text: string): JsonResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
