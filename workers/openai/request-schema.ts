/**
 * The accepted subset of the OpenAI Chat Completions request, plus the
 * `search` extension. Unknown fields are ignored (clients send many); fields
 * whose meaning we cannot honour (n > 1, non-text content) are rejected.
 */
import { z } from "zod";
import { searchModeSchema } from "../../agent/config";

const textPart = z.object({ type: z.literal("text"), text: z.string() });

const messageSchema = z.object({
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: z.union([z.string(), z.array(textPart), z.null()]),
});

export const chatCompletionRequestSchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(messageSchema).min(1),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    n: z.literal(1).nullish(),
    search: searchModeSchema.optional(),
  })
  .refine((body) => body.messages[body.messages.length - 1]?.role === "user", {
    message: "the last message must have role `user`",
    path: ["messages"],
  });

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

export interface AgentMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** OpenAI messages -> the agent's plain-text turns (developer counts as system). */
export function toAgentMessages(body: ChatCompletionRequest): AgentMessage[] {
  return body.messages.map((m) => ({
    role: m.role === "developer" ? "system" : m.role,
    content: typeof m.content === "string" ? m.content : m.content === null ? "" : m.content.map((p) => p.text).join("\n"),
  }));
}
