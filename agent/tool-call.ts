/**
 * Parses the JSON between `<|function_start|>` and `<|function_end|>` into a
 * search request. Expected failures (bad JSON, an unknown tool, no query) are
 * results, not exceptions: the agent turns each into an event and goes on.
 */
import { z } from "zod";
import { safeParseJSON } from "./json";

const callSchema = z.object({
  name: z.string(),
  // Megrez emits an object; OpenAI-style servers use a JSON string.
  arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
});

export type ToolCallParse =
  | { ok: true; name: string; arguments: Record<string, unknown>; query: string }
  | { ok: false; problem: "invalid-json" | "missing-query"; name?: string; arguments?: Record<string, unknown> }
  | { ok: false; problem: "unknown-tool"; name: string; arguments: Record<string, unknown> };

export function parseToolCall(raw: string, knownTools: readonly string[]): ToolCallParse {
  const json = safeParseJSON(raw);
  const call = json.ok ? callSchema.safeParse(json.value) : undefined;
  if (!call?.success) return { ok: false, problem: "invalid-json" };
  const args = readArguments(call.data.arguments);
  if (!args) return { ok: false, problem: "invalid-json", name: call.data.name };
  if (!knownTools.includes(call.data.name)) return { ok: false, problem: "unknown-tool", name: call.data.name, arguments: args };
  const query = typeof args.query === "string" ? cleanQuery(args.query) : "";
  if (query === "") return { ok: false, problem: "missing-query", name: call.data.name, arguments: args };
  return { ok: true, name: call.data.name, arguments: args, query };
}

function readArguments(value: Record<string, unknown> | string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return {};
  if (typeof value !== "string") return value;
  const json = safeParseJSON(value);
  const record = json.ok ? z.record(z.string(), z.unknown()).safeParse(json.value) : undefined;
  return record?.success ? record.data : undefined;
}

/** The tool description asks the model to drop control characters; enforce it. */
export function cleanQuery(query: string): string {
  return query
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 256);
}
