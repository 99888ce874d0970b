/**
 * The accepted subset of OpenAI's Responses API request (`POST /v1/responses`),
 * checked against the `openai` SDK's own types: `input` as a string or message
 * items, `instructions`, `max_output_tokens`, sampling, the `web_search` tool
 * (or `web_search_preview`) with `filters.allowed_domains` (Perplexity's
 * `search_domain_filter` / `search_recency_filter` are taken there too),
 * `tool_choice`, `stream`, `store`, `previous_response_id`, `metadata`.
 * Fields we cannot honour are refused by name, as on chat completions;
 * hints with no effect here (`user`, `service_tier`, prompt-cache keys) are
 * accepted and ignored.
 */
import { z } from "zod";
import type { SearchMode } from "../../agent/run-agent";
import { MAX_DOMAIN_FILTER_ENTRIES, type SearchFilter } from "../../search/search-filter";
import { ApiError } from "../errors";
import { domainFilterListSchema, domainFilterOf, recencySchema } from "../search-filter-schema";

const WEB_SEARCH_TOOLS = ["web_search", "web_search_preview", "web_search_2025_08_26", "web_search_preview_2025_03_11"] as const;
const ONLY_WEB_SEARCH = "only the web_search tool (or web_search_preview) is supported: this endpoint answers with its own search and cited sources";

const refused = (message: string) => z.undefined({ message }).nullish();

const textPart = z.object({ type: z.enum(["input_text", "output_text"]), text: z.string() });
const contentPart = z.discriminatedUnion("type", [
  textPart.extend({ type: z.literal("input_text") }),
  textPart.extend({ type: z.literal("output_text"), annotations: z.array(z.unknown()).nullish() }),
  z.object({ type: z.literal("refusal"), refusal: z.string() }),
  z.object({ type: z.literal("input_image") }).refine(() => false, { message: "input_image is not supported here; send images to /v1/chat/completions" }),
  z.object({ type: z.literal("input_file") }).refine(() => false, { message: "input_file is not supported" }),
]);

const messageItem = z.object({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(contentPart)]),
});

/** A message item (its `type` may be left out); any other item (a function call's output, an item reference…) is refused by its type. */
const inputItem = z.unknown().transform((item, ctx) => {
  const type = typeof item === "object" && item !== null && "type" in item ? item.type : undefined;
  if (type !== undefined && type !== "message") {
    const name = typeof type === "string" ? type.slice(0, 64) : "unknown";
    ctx.addIssue({ code: "custom", path: ["type"], message: `input items of type ${name} are not supported; send messages (or use previous_response_id)` });
    return z.NEVER;
  }
  const parsed = messageItem.safeParse(item);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    return z.NEVER;
  }
  return parsed.data;
});

const webSearchTool = z.object({
  type: z.enum(WEB_SEARCH_TOOLS, { message: ONLY_WEB_SEARCH }),
  filters: z
    .object({
      allowed_domains: domainFilterListSchema
        .refine((domains) => domains.every((domain) => !domain.trim().startsWith("-")), "lists domains to allow; exclude with search_domain_filter")
        .nullish(),
      search_domain_filter: domainFilterListSchema.nullish(),
      search_recency_filter: recencySchema.nullish(),
    })
    .refine((filters) => (filters.allowed_domains?.length ?? 0) + (filters.search_domain_filter?.length ?? 0) <= MAX_DOMAIN_FILTER_ENTRIES, {
      message: `at most ${MAX_DOMAIN_FILTER_ENTRIES} domains in all`,
    })
    .nullish(),
  search_context_size: z.enum(["low", "medium", "high"]).nullish(),
  search_content_types: z.array(z.literal("text", { message: "only text search results are supported" })).nullish(),
  user_location: z.object({}).passthrough().nullish(),
});

const toolChoice = z.union([z.enum(["auto", "required", "none"]), z.object({ type: z.enum(WEB_SEARCH_TOOLS, { message: ONLY_WEB_SEARCH }) })]);

export const responseRequestSchema = z.object({
  model: z.string().min(1),
  // A string is one user message; the array form is validated item by item, so errors name the item.
  input: z.preprocess(
    (input) => (typeof input === "string" && input.trim() !== "" ? [{ role: "user", content: input }] : input),
    z.array(inputItem, { message: "expected a non-empty string or an array of message items" }).min(1),
  ),
  instructions: z.string().nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  tools: z.array(webSearchTool).max(1, { message: "give the web_search tool at most once" }).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_obfuscation: z.boolean().nullish() }).nullish(),
  store: z.boolean().nullish(),
  previous_response_id: z.string().min(1).max(128).nullish(),
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((metadata) => Object.keys(metadata).length <= 16, "at most 16 keys")
    .nullish(),
  include: z
    .array(z.enum(["web_search_call.action.sources", "web_search_call.results"], { message: "only web_search_call.action.sources can be included" }))
    .nullish(),
  text: z
    .object({
      format: z.object({ type: z.literal("text", { message: 'only text.format {"type": "text"} is supported' }) }).nullish(),
      verbosity: z.enum(["low", "medium", "high"]).nullish(),
    })
    .nullish(),
  truncation: z.literal("auto", { message: 'only truncation "auto" is supported: earlier turns are dropped to fit the model\'s context' }).nullish(),
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  prompt_cache_key: z.string().max(1024).nullish(),
  prompt_cache_retention: z.string().nullish(),
  service_tier: z.string().nullish(),
  // What this endpoint cannot honour is refused by name rather than silently dropped.
  background: z.literal(false, { message: "background responses are not supported" }).nullish(),
  conversation: refused("conversations are not supported; continue with previous_response_id"),
  prompt: refused("prompt templates are not supported"),
  reasoning: refused("reasoning options are not supported by this model"),
  top_logprobs: z.literal(0, { message: "logprobs are not supported" }).nullish(),
  max_tool_calls: refused("max_tool_calls is not supported; the deployment's AGENT_CONFIG searchRounds caps searches"),
  context_management: refused("context_management is not supported"),
});

export type ResponseRequest = z.infer<typeof responseRequestSchema>;

export interface ResponseMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** The input as the agent's turns: `instructions` first (as system), developer counts as system. */
export function inputMessages(body: ResponseRequest): ResponseMessage[] {
  const items = body.input;
  const messages: ResponseMessage[] = body.instructions ? [{ role: "system", content: body.instructions }] : [];
  for (const item of items) {
    const content =
      typeof item.content === "string"
        ? item.content
        : item.content.map((part) => ("text" in part ? part.text : "refusal" in part ? part.refusal : "")).join("\n");
    messages.push({ role: item.role === "developer" ? "system" : item.role, content });
  }
  if (messages[messages.length - 1]?.role !== "user")
    throw new ApiError("invalid_body", "Invalid request body: input: the last input item must be a user message.");
  return messages;
}

/**
 * The search mode the request asks for. With the web_search tool: `none` never
 * searches, `required` (or naming the tool) always does, `auto` leaves it to
 * the deployment's SEARCH_MODE (the model decides under `auto`). Without the
 * tool nothing is searched.
 */
export function searchModeOf(body: ResponseRequest, defaultMode: SearchMode): SearchMode {
  const hasTool = (body.tools ?? []).length > 0;
  const choice = body.tool_choice ?? "auto";
  if (!hasTool) {
    if (choice !== "auto" && choice !== "none") throw new ApiError("invalid_body", "Invalid request body: tool_choice: requires the web_search tool in tools.");
    return "never";
  }
  if (choice === "none") return "never";
  if (choice === "auto") return defaultMode;
  return "always";
}

/** The web_search tool's filters as the search filter. */
export function toolFilterOf(body: ResponseRequest): SearchFilter | undefined {
  const filters = body.tools?.[0]?.filters;
  if (!filters) return undefined;
  const entries = [...(filters.allowed_domains ?? []), ...(filters.search_domain_filter ?? [])];
  const domains = domainFilterOf(entries);
  const recency = filters.search_recency_filter ?? undefined;
  if (!domains && !recency) return undefined;
  return { ...(domains ? { domains } : {}), ...(recency ? { recency } : {}) };
}
