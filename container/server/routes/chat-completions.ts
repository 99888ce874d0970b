/**
 * POST /v1/chat/completions: renders the chat template (any role string, e.g. `observation`),
 * queues the generation and answers as JSON or as OpenAI SSE chunks.
 */
import type { Hono } from "hono";
import { EngineError } from "../../engine/engine-errors";
import { collectGeneration, usageJson } from "../collect-generation";
import { refuseOverlongInput } from "../context-limit";
import { chatCompletionRequestSchema } from "../request-schemas";
import { samplingFromRequest } from "../sampling-from-request";
import { checkModel, streamErrorBody, linkedAbort, parseBody, replyWith, responseId, type ServerContext, unixSeconds } from "../server-context";
import { SSE_HEADERS, sseBody } from "../sse";
import { hasMedia, rejectMedia } from "../media-messages";

export function registerChatCompletions(app: Hono, context: ServerContext): void {
  app.post("/v1/chat/completions", async (c) => {
    const parsed = await parseBody(c, chatCompletionRequestSchema);
    if (!parsed.ok) return replyWith(c, parsed.reply);
    const request = parsed.value;
    checkModel(context, request.model);
    const { engine } = context;
    refuseOverlongInput(
      engine,
      request.messages.flatMap((message) => [message.role, message.content]),
      "messages",
    );
    const abort = linkedAbort(c);
    if (engine.media === null) rejectMedia(request.messages);
    const mediaPrompt =
      engine.media !== null && hasMedia(request.messages) ? await engine.media.prepare(request.messages, request.add_generation_prompt, abort.signal) : null;
    const promptIds = mediaPrompt?.promptIds ?? engine.codec.encodeChat(request.messages, request.add_generation_prompt);
    const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? engine.maxModelLen - promptIds.length;
    if (maxTokens <= 0)
      throw new EngineError(
        "context_length_exceeded",
        `This model's maximum context length is ${engine.maxModelLen} tokens, and the messages use ${promptIds.length}.`,
        "messages",
      );
    const params = samplingFromRequest(request, engine.folder.generationDefaults, maxTokens);
    const events = engine.scheduler.submit({ promptIds, params, signal: abort.signal, ...(mediaPrompt ? { embeddingSplices: mediaPrompt.splices } : {}) });
    const id = responseId("chatcmpl");
    const created = unixSeconds();
    const model = context.modelName;

    if (!request.stream) {
      const result = await collectGeneration(events);
      return c.json({
        id,
        object: "chat.completion",
        created,
        model,
        choices: [{ index: 0, message: { role: "assistant", content: result.text }, logprobs: null, finish_reason: result.finishReason }],
        usage: usageJson(result.usage),
      });
    }

    const includeUsage = request.stream_options?.include_usage === true;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ id, object: "chat.completion.chunk", created, model, choices, ...extra });
    const body = sseBody(async (send) => {
      send(chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]));
      for await (const event of events) {
        if (event.type === "text-delta") send(chunk([{ index: 0, delta: { content: event.text }, logprobs: null, finish_reason: null }]));
        else if (event.type === "error") send(streamErrorBody(context, event.error));
        else {
          send(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: event.finishReason }]));
          if (includeUsage) send(chunk([], { usage: usageJson(event.usage) }));
        }
      }
    }, abort);
    return new Response(body, { headers: SSE_HEADERS });
  });
}
