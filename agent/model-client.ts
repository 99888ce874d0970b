/**
 * The model client: the agent's only way to reach a language model. The HTTP
 * implementation speaks to any OpenAI-compatible server (our engine, vLLM,
 * plain OpenAI): streamed chat with `skip_special_tokens: false` so that
 * `<|function_start|>` survives, batched `/v1/completions` for page summaries
 * (choices re-ordered by index), and token counting through vLLM-style
 * `POST /tokenize`, falling back to a conservative estimate when the server
 * has none. A message with attachments is sent as OpenAI content parts
 * (text, `image_url` data URL, `input_audio`); a 400 for such a request is the
 * engine refusing the media, and its message is passed on.
 */
import { z } from "zod";
import { audioFormat, type Attachment } from "./attachments";
import { AgentError, isAbortError } from "./errors";
import { safeParseJSON } from "./json";
import { readSSEFrames } from "./sse-frames";
import { estimateTokens } from "../search/token-estimate";

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
  stop?: string[];
  signal?: AbortSignal;
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

const chatChunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z.object({ content: z.string().nullish() }).nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .default([]),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish(),
});

const completionSchema = z.object({
  choices: z.array(z.object({ index: z.number().int(), text: z.string() })),
});

const engineErrorSchema = z.object({ error: z.object({ message: z.string() }) });

/** Longest engine message passed on to the client. */
const MAX_REFUSAL_CHARS = 300;

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

const TOKENIZE_RETRY_MS = 30_000;
const tokenizeSchema = z.object({ count: z.number().int().nonnegative() });

export function createHttpModelClient(options: HttpModelClientOptions): ModelClient {
  const base = options.baseUrl.replace(/\/+$/, "");
  const tokenizeUrl = `${base.replace(/\/v1$/, "")}/tokenize`;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const keepSpecialTokens = options.keepSpecialTokens ?? true;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  let tokenizeAvailable = true;
  // After a transport failure, /tokenize is not asked again for a while: an engine
  // that is down must not cost one failed subrequest per counted string.
  let tokenizeRetryAt = 0;
  const countCache = new Map<string, number>();

  async function post(url: string, body: unknown, signal: AbortSignal | undefined, hasMedia = false): Promise<Response> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await options.fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal: combined });
    } catch (error) {
      throw toTransportError(error, signal, timeout);
    }
    if (!response.ok && response.status === 400 && hasMedia) {
      const json = safeParseJSON(await response.text().catch(() => ""));
      const refusal = json.ok ? engineErrorSchema.safeParse(json.value) : undefined;
      throw new AgentError("media-rejected", {
        detail: `model server answered HTTP 400`,
        ...(refusal?.success ? { publicDetail: refusal.data.error.message.slice(0, MAX_REFUSAL_CHARS) } : {}),
      });
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new AgentError("model-unavailable", {
        retryable: response.status >= 500 || response.status === 429,
        detail: `model server answered HTTP ${response.status}`,
      });
    }
    return response;
  }

  return {
    model: options.model,

    async *streamChat(request) {
      const response = await post(
        `${base}/chat/completions`,
        {
          model: options.model,
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
        },
        request.signal,
        request.messages.some((message) => (message.attachments?.length ?? 0) > 0),
      );
      if (!response.body) throw new AgentError("model-bad-response", { detail: "empty stream body" });
      let reason: "stop" | "length" = "stop";
      let usage: { promptTokens: number; completionTokens: number } | undefined;
      try {
        for await (const frame of readSSEFrames(response.body)) {
          if (frame.data === "[DONE]") break;
          const json = safeParseJSON(frame.data);
          const chunk = json.ok ? chatChunkSchema.safeParse(json.value) : undefined;
          if (!chunk?.success) throw new AgentError("model-bad-response", { detail: "unreadable stream chunk" });
          if (chunk.data.usage) {
            usage = { promptTokens: chunk.data.usage.prompt_tokens, completionTokens: chunk.data.usage.completion_tokens };
          }
          const choice = chunk.data.choices[0];
          if (choice?.finish_reason === "length") reason = "length";
          const text = choice?.delta?.content;
          if (text) yield { type: "text-delta", text };
        }
      } catch (error) {
        if (error instanceof AgentError) throw error;
        throw toTransportError(error, request.signal, undefined);
      }
      yield usage ? { type: "finish", reason, usage } : { type: "finish", reason };
    },

    async complete(request) {
      if (request.prompts.length === 0) return [];
      const response = await post(
        `${base}/completions`,
        {
          model: options.model,
          prompt: request.prompts,
          max_tokens: request.maxTokens,
          temperature: request.temperature,
          ...(request.stop ? { stop: request.stop } : {}),
          ...(keepSpecialTokens ? { skip_special_tokens: true } : {}),
        },
        request.signal,
      );
      const json = safeParseJSON(await response.text());
      const parsed = json.ok ? completionSchema.safeParse(json.value) : undefined;
      if (!parsed?.success || parsed.data.choices.length !== request.prompts.length) {
        throw new AgentError("model-bad-response", { detail: "completion choices do not match the prompts" });
      }
      const texts = new Array<string>(request.prompts.length).fill("");
      for (const choice of parsed.data.choices) texts[choice.index] = choice.text;
      return texts;
    },

    async countTokens(text) {
      const cached = countCache.get(text);
      if (cached !== undefined) return cached;
      let count = estimateTokens(text);
      if (tokenizeAvailable && Date.now() >= tokenizeRetryAt) {
        try {
          const response = await options.fetch(tokenizeUrl, {
            method: "POST",
            headers,
            body: JSON.stringify({ model: options.model, prompt: text }),
            signal: AbortSignal.timeout(Math.min(timeoutMs, 10_000)),
          });
          const json = response.ok ? safeParseJSON(await response.text()) : undefined;
          const parsed = json?.ok ? tokenizeSchema.safeParse(json.value) : undefined;
          if (parsed?.success) count = parsed.data.count;
          else if (response.status === 404 || response.status === 405 || response.status === 501) tokenizeAvailable = false;
        } catch {
          // A tokenizer outage must not fail the answer: the estimate over-counts.
          tokenizeRetryAt = Date.now() + TOKENIZE_RETRY_MS;
        }
      }
      if (countCache.size > 512) countCache.clear();
      countCache.set(text, count);
      return count;
    },
  };
}

function toTransportError(error: unknown, callerSignal: AbortSignal | undefined, timeout: AbortSignal | undefined): AgentError {
  if (callerSignal?.aborted) return new AgentError("aborted", { cause: error });
  if (timeout?.aborted || (isAbortError(error) && !callerSignal?.aborted) || (error as { name?: unknown })?.name === "TimeoutError") {
    return new AgentError("model-timeout", { retryable: true, cause: error });
  }
  return new AgentError("model-unavailable", { retryable: true, cause: error });
}
