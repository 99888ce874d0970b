/**
 * The accepted subset of the OpenAI Chat Completions request, plus the
 * `search` extension and Perplexity Sonar's search fields
 * (`search_domain_filter`, `search_recency_filter`, `return_related_questions`). Unknown fields are ignored (clients send many); fields
 * whose meaning we cannot honour (n > 1) are rejected. Media parts
 * (`image_url` as a data: URL, `input_audio`) are accepted on the last user
 * message only and become the agent's attachments under the same rules as
 * `/api/chat` (workers/attachments.ts); remote image URLs are refused so the
 * service never fetches on a client's behalf.
 */
import { z } from "zod";
import type { Attachment } from "../../agent/attachments";
import { attachmentListSchema, requireAllowed, type AttachmentPolicy } from "../attachments";
import { ApiError } from "../errors";
import { formatIssues } from "../request-body";
import { domainFilterListSchema, recencySchema } from "../search-filter-schema";
import { searchFieldSchema } from "../sites/site-scope";

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const imagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.union([z.string(), z.object({ url: z.string() })]).transform((image) => (typeof image === "string" ? image : image.url)),
});
const audioPart = z.object({
  type: z.literal("input_audio"),
  input_audio: z.object({ data: z.string(), format: z.enum(["wav", "mp3"]) }),
});
const contentPart = z.discriminatedUnion("type", [textPart, imagePart, audioPart]);

const messageSchema = z.object({
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: z.union([z.string(), z.array(contentPart), z.null()]),
});

const notSupported = (message: string) => z.undefined({ message }).nullish();
const NO_DATE_FILTERS = "date-range filters are not supported; use search_recency_filter";

const NO_FUNCTION_CALLS = "tools and function calls are not supported: this endpoint answers with its own web search and cited sources";

export const chatCompletionRequestSchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(messageSchema).min(1),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().gt(0).max(1).nullish(),
    seed: z.number().int().nullish(),
    presence_penalty: z.number().min(-2).max(2).nullish(),
    frequency_penalty: z.number().min(-2).max(2).nullish(),
    n: z.literal(1).nullish(),
    /** Up to 4 strings that end the answer, as OpenAI's `stop`; never applied to the search decision. */
    stop: z
      .union([z.string().min(1), z.array(z.string().min(1)).max(4)])
      .nullish()
      .transform((stop) => (stop === null || stop === undefined ? undefined : typeof stop === "string" ? [stop] : stop)),
    /** Our extension: a search mode, or `{mode?, sites?}` to answer from crawled sites only (docs/sites.md). */
    search: searchFieldSchema.optional(),
    // Perplexity Sonar's search fields.
    search_domain_filter: domainFilterListSchema.nullish(),
    search_recency_filter: recencySchema.nullish(),
    return_related_questions: z.boolean().nullish(),
    return_images: z.literal(false, { message: "images in answers are not supported" }).nullish(),
    search_after_date_filter: notSupported(NO_DATE_FILTERS),
    search_before_date_filter: notSupported(NO_DATE_FILTERS),
    last_updated_after_filter: notSupported(NO_DATE_FILTERS),
    last_updated_before_filter: notSupported(NO_DATE_FILTERS),
    /** OpenAI's cache-routing hint: requests with the same key meet the same engine replica. */
    prompt_cache_key: z.string().max(1024).nullish(),
    // What this endpoint cannot honour is refused by name rather than silently ignored.
    tools: z.array(z.unknown()).max(0, { message: NO_FUNCTION_CALLS }).nullish(),
    functions: z.array(z.unknown()).max(0, { message: NO_FUNCTION_CALLS }).nullish(),
    tool_choice: z.enum(["none", "auto"], { message: NO_FUNCTION_CALLS }).nullish(),
    response_format: z.object({ type: z.literal("text", { message: 'only response_format {"type": "text"} is supported' }) }).nullish(),
    logprobs: z.literal(false, { message: "logprobs are not supported" }).nullish(),
  })
  .refine((body) => body.messages[body.messages.length - 1]?.role === "user", {
    message: "the last message must have role `user`",
    path: ["messages"],
  })
  .refine((body) => body.messages.slice(0, -1).every((m) => typeof m.content === "string" || m.content === null || m.content.every((p) => p.type === "text")), {
    message: "images and audio are accepted on the last user message only",
    path: ["messages"],
  })
  .superRefine((body, ctx) => {
    const last = body.messages.length - 1;
    if (!hasQuestion(body.messages[last]?.content)) {
      ctx.addIssue({ code: "custom", message: "the last user message is empty: it needs text, an image or audio", path: ["messages", last, "content"] });
    }
  });

/** Whether a message's content asks something: non-blank text, or a media part. */
function hasQuestion(content: z.infer<typeof messageSchema>["content"] | undefined): boolean {
  if (typeof content === "string") return content.trim() !== "";
  return (content ?? []).some((part) => part.type !== "text" || part.text.trim() !== "");
}

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
type ContentPart = z.infer<typeof contentPart>;

export interface AgentMessage {
  role: "system" | "user" | "assistant";
  content: string;
  attachments?: Attachment[];
}

const DATA_URL = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+);base64,(.*)$/is;

/** Media parts -> attachment candidates, before the shared schema checks them. */
function mediaOf(parts: ContentPart[]): unknown[] {
  return parts.flatMap((part) => {
    if (part.type === "text") return [];
    if (part.type === "input_audio") {
      return [{ kind: "audio", mediaType: part.input_audio.format === "mp3" ? "audio/mpeg" : "audio/wav", data: part.input_audio.data }];
    }
    const match = DATA_URL.exec(part.image_url);
    if (!match) {
      throw new ApiError(
        "invalid_body",
        "Invalid request body: image_url must be a data: URL with base64 content (remote URLs are not fetched).",
        {},
        "messages",
      );
    }
    return [{ kind: "image", mediaType: match[1], data: match[2] }];
  });
}

/** OpenAI messages -> the agent's turns (developer counts as system); media of the last message is checked here. */
export function toAgentMessages(body: ChatCompletionRequest, policy: AttachmentPolicy): AgentMessage[] {
  return body.messages.map((m, index) => {
    const role = m.role === "developer" ? "system" : m.role;
    if (typeof m.content === "string" || m.content === null) return { role, content: m.content ?? "" };
    const content = m.content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n");
    const media = mediaOf(m.content);
    if (media.length === 0 || index !== body.messages.length - 1) return { role, content };
    const parsed = attachmentListSchema(policy.maxBytes).safeParse(media);
    if (!parsed.success) {
      throw new ApiError("invalid_body", `Invalid request body: messages.${index}.content: ${formatIssues(parsed.error)}`, {}, `messages.${index}.content`);
    }
    requireAllowed(parsed.data, policy);
    return { role, content, attachments: parsed.data };
  });
}
