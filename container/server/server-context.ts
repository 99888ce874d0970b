/**
 * What route handlers share: the engine, the served model name, and helpers for the parts
 * every route repeats (body parsing into a result union, the model-name check, ids).
 */
import { randomUUID } from "node:crypto";
import type { Context } from "hono";
import type { z } from "zod";
import type { Engine } from "../engine/create-engine";
import { EngineError } from "../engine/engine-errors";
import { type ErrorReply, type OpenAiError, errorReply, isExpectedError, validationReply } from "./error-response";

export interface ServerContext {
  engine: Engine;
  modelName: string;
  log: (line: string) => void;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reply: ErrorReply };

export async function parseBody<T extends z.ZodType>(c: Context, schema: T): Promise<ParseResult<z.infer<T>>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    return {
      ok: false,
      reply: {
        status: 400,
        headers: {},
        body: { error: { message: "the request body is not valid JSON", type: "invalid_request_error", param: null, code: "invalid_request" } },
      },
    };
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reply: validationReply(parsed.error) };
}

export function replyWith(c: Context, reply: ErrorReply): Response {
  return c.json(reply.body, { status: toStatusCode(reply.status), headers: reply.headers });
}

export function checkModel(context: ServerContext, model: string | undefined): void {
  if (model !== undefined && model !== context.modelName) {
    throw new EngineError("model_not_found", `The model \`${model}\` does not exist. This server serves \`${context.modelName}\`.`, "model");
  }
}

export function responseId(prefix: string): string {
  return `${prefix}-${randomUUID().replaceAll("-", "")}`;
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Abort when the client disconnects (request signal) or the stream is cancelled. */
export function linkedAbort(c: Context): AbortController {
  const controller = new AbortController();
  const signal = c.req.raw.signal;
  if (signal.aborted) controller.abort();
  else signal.addEventListener("abort", () => controller.abort(), { once: true });
  return controller;
}

/** The SSE error frame for a failure mid-stream; unexpected errors are logged, then masked. */
export function streamErrorBody(context: ServerContext, error: Error): OpenAiError {
  if (!isExpectedError(error)) context.log(`engine: generation failed: ${error.stack ?? error.message}`);
  return errorReply(error).body;
}

const STATUS_CODES = [400, 404, 408, 413, 429, 500, 503] as const;
type ErrorStatus = (typeof STATUS_CODES)[number];

/** hono types statuses as literals; map ours without a cast (unknown codes become 500). */
function toStatusCode(status: number): ErrorStatus {
  return STATUS_CODES.find((code) => code === status) ?? 500;
}
