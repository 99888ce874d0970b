/**
 * zod schemas for the OpenAI-compatible request bodies (plus vLLM's extra sampling fields
 * and /tokenize, /detokenize). Unknown fields are accepted and ignored, as OpenAI clients
 * send more than we read; fields we cannot honour (n > 1, logprobs, tools, JSON mode) are rejected clearly.
 */
import { z } from "zod";
import { messageContentSchema } from "../omni/content-parts";

/** `content` may carry images/audio (OpenAI parts or the Megrez dict); their references land in `media`. */
/**
 * A role is rendered as text into the chat template: the engine's placeholder delimiters (U+E000, U+E001,
 * private-use characters no real role holds) would make it name another message's content, so they are refused.
 */
const roleSchema = z
  .string()
  .min(1)
  .max(256)
  .refine((role) => !/[\uE000\uE001]/.test(role), "must not contain the characters U+E000 or U+E001");

export const chatMessageSchema = z
  .looseObject({ role: roleSchema, content: messageContentSchema })
  .transform(({ content, ...message }) => ({ ...message, content: content.text, media: content.media }));

const stopSchema = z
  .union([z.string(), z.array(z.string()).max(16)])
  .nullish()
  .transform((stop) => (stop === null || stop === undefined ? [] : typeof stop === "string" ? [stop] : stop));

/** Sampling fields shared by chat and completions (OpenAI + vLLM extras). */
const samplingFields = {
  model: z.string().optional(),
  stream: z
    .boolean()
    .nullish()
    .transform((value) => value ?? false),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  top_k: z.number().int().min(-1).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  n: z.literal(1, { message: "only n = 1 is supported" }).nullish(),
  stop: stopSchema,
  stop_token_ids: z.array(z.number().int().nonnegative()).nullish(),
  seed: z.number().int().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  repetition_penalty: z.number().gt(0).max(10).nullish(),
  skip_special_tokens: z.boolean().nullish(),
  ignore_eos: z.boolean().nullish(),
  logprobs: z.union([z.literal(false), z.null()], { message: "logprobs are not supported" }).optional(),
};

const NO_TOOLS = "tools are not supported: the Megrez chat template has no tool slot (put function descriptions in the system prompt, as the agent does)";

export const chatCompletionRequestSchema = z.looseObject({
  ...samplingFields,
  messages: z.array(chatMessageSchema).min(1, "messages must not be empty"),
  tools: z.array(z.unknown()).max(0, { message: NO_TOOLS }).nullish(),
  tool_choice: z.enum(["none", "auto"], { message: NO_TOOLS }).nullish(),
  response_format: z.object({ type: z.literal("text", { message: 'only response_format {"type": "text"} is supported' }) }).nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  add_generation_prompt: z.boolean().default(true),
});

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

export const completionRequestSchema = z.looseObject({
  ...samplingFields,
  prompt: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.number().int().nonnegative()).min(1),
    z.array(z.array(z.number().int().nonnegative()).min(1)).min(1),
  ]),
  echo: z.literal(false, { message: "echo is not supported" }).nullish(),
});

export type CompletionRequest = z.infer<typeof completionRequestSchema>;
export type SamplingRequest = ChatCompletionRequest | CompletionRequest;

export const tokenizeRequestSchema = z.union([
  z.object({ model: z.string().optional(), prompt: z.string(), add_special_tokens: z.boolean().optional() }),
  z.object({ model: z.string().optional(), messages: z.array(chatMessageSchema).min(1), add_generation_prompt: z.boolean().default(true) }),
]);

export const detokenizeRequestSchema = z.looseObject({
  model: z.string().optional(),
  tokens: z.array(z.number().int().nonnegative()),
});
