/**
 * The model client: the agent's only way to reach a language model. The HTTP
 * implementation speaks to any OpenAI-compatible server (our engine, vLLM,
 * plain OpenAI): streamed chat with `skip_special_tokens: false` so that
 * `<|function_start|>` survives, batched `/v1/completions` for page summaries
 * (choices re-ordered by index), and token counting through vLLM-style
 * `POST /tokenize`, falling back to a conservative estimate when the server
 * has none. A message with attachments is sent as OpenAI content parts
 * (text, `image_url` data URL, `input_audio`); a 400 for such a request is the
 * engine refusing the media, and its message is passed on. The parts: the
 * transport (agent/model-transport.ts), the stream reader
 * (agent/model-chat-stream.ts) and the token counter (agent/token-counter.ts).
 */
import { z } from "zod";
import { audioFormat, type Attachment } from "./attachments";
import { AgentError } from "./errors";
import { safeParseJSON } from "./json";
import { readChatStream } from "./model-chat-stream";
import { createModelTransport } from "./model-transport";
import { createTokenCounter } from "./token-counter";

export interface ModelMessage {
  role: string;
  content: string;
  /** Media for this (user) message; only chat calls carry them, summaries stay text-only. */
  attachments?: Attachment[];
}

export interface ChatStreamRequest {
  messages: ModelMessage[];
  maxTokens: number;
  temperature: number;
  /** The caller's sampling settings, passed through when given. */
  topP?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  stop?: string[];
  signal?: AbortSignal;
}

export type ModelStreamPart =
  | { type: "text-delta"; text: string }
  | { type: "finish"; reason: "stop" | "length"; usage?: { promptTokens: number; completionTokens: number } };

export interface CompletionRequest {
  /** One rendered prompt per item; the answer keeps this order. */
  prompts: string[];
  maxTokens: number;
  temperature: number;
  seed?: number;
  stop?: string[];
  signal?: AbortSignal;
  /** Told the tokens the call used, when the server reports them. */
  onUsage?: (usage: { promptTokens: number; completionTokens: number }) => void;
}

export interface ModelClient {
  readonly model: string;
  /** Streams raw generated text, special tokens included. Throws AgentError. */
  streamChat(request: ChatStreamRequest): AsyncIterable<ModelStreamPart>;
  /** One batched completion call; returns texts in prompt order. Throws AgentError. */
  complete(request: CompletionRequest): Promise<string[]>;
  /** Tokens of `text` with the model's tokenizer (special-token text counts as one token each). */
  countTokens(text: string): Promise<number>;
}

export interface HttpModelClientOptions {
  /** OpenAI-style base URL, e.g. `http://127.0.0.1:8000/v1`. `/tokenize` is looked up next to it. */
  baseUrl: string;
  model: string;
  fetch: typeof fetch;
  apiKey?: string;
  timeoutMs?: number;
  /** Send vLLM's `skip_special_tokens: false` (default true; turn off for strict OpenAI servers). */
  keepSpecialTokens?: boolean;
}

const completionSchema = z.object({
  choices: z.array(z.object({ index: z.number().int(), text: z.string() })),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() }).nullish(),
});

/** OpenAI wire form: plain string content, or parts when the message has media. */
function toWireMessage(message: ModelMessage): unknown {
  if (!message.attachments || message.attachments.length === 0) return { role: message.role, content: message.content };
  const parts: unknown[] = [{ type: "text", text: message.content }];
  for (const attachment of message.attachments) {
    parts.push(
      attachment.kind === "image"
        ? { type: "image_url", image_url: { url: `data:${attachment.mediaType};base64,${attachment.data}` } }
        : { type: "input_audio", input_audio: { data: attachment.data, format: audioFormat(attachment.mediaType) } },
    );
  }
  return { role: message.role, content: parts };
}

/** The body of a streamed `/chat/completions` call. */
function chatRequestBody(model: string, request: ChatStreamRequest, keepSpecialTokens: boolean): Record<string, unknown> {
  return {
    model,
    messages: request.messages.map(toWireMessage),
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: request.maxTokens,
    temperature: request.temperature,
    ...(request.topP !== undefined ? { top_p: request.topP } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.presencePenalty !== undefined ? { presence_penalty: request.presencePenalty } : {}),
    ...(request.frequencyPenalty !== undefined ? { frequency_penalty: request.frequencyPenalty } : {}),
    ...(request.stop ? { stop: request.stop } : {}),
    ...(keepSpecialTokens ? { skip_special_tokens: false } : {}),
  };
}

/** The body of one batched `/completions` call. */
function completionRequestBody(model: string, request: CompletionRequest, keepSpecialTokens: boolean): Record<string, unknown> {
  return {
    model,
    prompt: request.prompts,
    max_tokens: request.maxTokens,
    temperature: request.temperature,
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.stop ? { stop: request.stop } : {}),
    ...(keepSpecialTokens ? { skip_special_tokens: true } : {}),
  };
}

/** The completion texts in prompt order; throws when the body is not a completion for these prompts. */
async function readCompletionTexts(response: Response, request: CompletionRequest): Promise<string[]> {
  const promptCount = request.prompts.length;
  const json = safeParseJSON(await response.text());
  const parsed = json.ok ? completionSchema.safeParse(json.value) : undefined;
  if (!parsed?.success || parsed.data.choices.length !== promptCount) {
    throw new AgentError("model-bad-response", { detail: "completion choices do not match the prompts" });
  }
  const usage = parsed.data.usage;
  if (usage) request.onUsage?.({ promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens });
  const texts = new Array<string>(promptCount).fill("");
  for (const choice of parsed.data.choices) texts[choice.index] = choice.text;
  return texts;
}

export function createHttpModelClient(options: HttpModelClientOptions): ModelClient {
  const base = options.baseUrl.replace(/\/+$/, "");
  const keepSpecialTokens = options.keepSpecialTokens ?? true;
  const transport = createModelTransport({
    fetch: options.fetch,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const countTokens = createTokenCounter({
    tokenizeUrl: `${base.replace(/\/v1$/, "")}/tokenize`,
    model: options.model,
    fetch: options.fetch,
    headers: transport.headers,
    timeoutMs: transport.timeoutMs,
  });
  return {
    model: options.model,

    async *streamChat(request) {
      const hasMedia = request.messages.some((message) => (message.attachments?.length ?? 0) > 0);
      const response = await transport.post(`${base}/chat/completions`, chatRequestBody(options.model, request, keepSpecialTokens), request.signal, hasMedia);
      if (!response.body) throw new AgentError("model-bad-response", { detail: "empty stream body" });
      yield* readChatStream(response.body, request.signal);
    },

    async complete(request) {
      if (request.prompts.length === 0) return [];
      const response = await transport.post(`${base}/completions`, completionRequestBody(options.model, request, keepSpecialTokens), request.signal);
      return readCompletionTexts(response, request);
    },

    countTokens,
  };
}
