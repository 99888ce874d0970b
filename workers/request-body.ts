/**
 * Reads a JSON request body under the size limit and validates it with zod:
 * 415 unless JSON, 413 past MAX_BODY_BYTES (checked on the declared length and
 * again while streaming, since the length may be absent or wrong), 400 for
 * malformed JSON or a body that fails the schema (the message names fields,
 * `param` the first one).
 */
import type { Context } from "hono";
import type { z } from "zod";
import { ApiError } from "./errors";

async function readCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new ApiError("payload_too_large", `Request body exceeds ${maxBytes} bytes.`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * The field the first issue is about (`messages.0.content`; for an unknown field, that field: `budgets.pages`),
 * or null for the body as a whole.
 */
export function issueParam(error: z.ZodError): string | null {
  const issue = error.issues[0];
  const path = [...(issue?.path ?? []), ...(issue?.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : [])];
  return path.length > 0 ? path.join(".") : null;
}

export function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}

export async function readJsonBody<S extends z.ZodType>(c: Context, schema: S, maxBytes: number): Promise<z.infer<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type.trim())) {
    throw new ApiError("unsupported_media_type", "Send the body as JSON with `content-type: application/json`.");
  }
  const declared = Number(c.req.header("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new ApiError("payload_too_large", `Request body exceeds ${maxBytes} bytes.`);
  }
  const bytes = await readCapped(c.req.raw.body, maxBytes);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    throw new ApiError("invalid_json", "The request body is not valid JSON.");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ApiError("invalid_body", `Invalid request body: ${formatIssues(parsed.error)}`, {}, issueParam(parsed.error));
  return parsed.data;
}
