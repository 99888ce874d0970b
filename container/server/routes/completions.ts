/**
 * POST /v1/completions: one choice per prompt, in prompt order (the agent summarizes all
 * fetched pages in one call). Prompts are raw text, so special-token text in them is parsed
 * as special tokens, as with vLLM. All prompts join the running batch together.
 */
import type { Hono } from "hono";
import type { Engine } from "../../engine/create-engine";
import { EngineError } from "../../engine/engine-errors";
import type { GenerationEvent } from "../../engine/generation-events";
import { collectGeneration, usageJson } from "../collect-generation";
import { refuseOverlongInput } from "../context-limit";
import { type CompletionRequest, completionRequestSchema } from "../request-schemas";
import { samplingFromRequest } from "../sampling-from-request";
import { checkModel, streamErrorBody, linkedAbort, parseBody, replyWith, responseId, type ServerContext, unixSeconds } from "../server-context";
import { SSE_HEADERS, sseBody } from "../sse";

function promptIdLists(engine: Engine, prompt: CompletionRequest["prompt"]): number[][] {
  const texts = typeof prompt === "string" ? [prompt] : prompt.filter((item) => typeof item === "string");
  for (const text of texts) refuseOverlongInput(engine, [text], "prompt");
  if (typeof prompt === "string") return [engine.codec.encodePrompt(prompt)];
  if (prompt.every((item) => typeof item === "string")) return prompt.map((text) => engine.codec.encodePrompt(text));
  if (prompt.every((item) => typeof item === "number")) return [prompt];
  return prompt.filter((item) => Array.isArray(item));
}

/** Submit every prompt or none: if one is refused, the ones already queued are cancelled. */
function submitAll(engine: Engine, request: CompletionRequest, prompts: number[][], abort: AbortController): AsyncIterable<GenerationEvent>[] {
  const submitted: AsyncIterable<GenerationEvent>[] = [];
  try {
    for (const promptIds of prompts) {
      const maxTokens = request.max_tokens ?? 16;
      if (promptIds.length >= engine.maxModelLen)
        throw new EngineError(
          "context_length_exceeded",
          `This model's maximum context length is ${engine.maxModelLen} tokens, and a prompt uses ${promptIds.length}.`,
          "prompt",
        );
      const params = samplingFromRequest(request, engine.folder.generationDefaults, maxTokens);
      submitted.push(engine.scheduler.submit({ promptIds, params, signal: abort.signal }));
    }
  } catch (error) {
    abort.abort();
    throw error;
  }
  return submitted;
}

export function registerCompletions(app: Hono, context: ServerContext): void {
  app.post("/v1/completions", async (c) => {
    const parsed = await parseBody(c, completionRequestSchema);
    if (!parsed.ok) return replyWith(c, parsed.reply);
    const request = parsed.value;
    checkModel(context, request.model);
    const prompts = promptIdLists(context.engine, request.prompt);
    const abort = linkedAbort(c);
    const generations = submitAll(context.engine, request, prompts, abort);
    const id = responseId("cmpl");
    const created = unixSeconds();
    const model = context.modelName;

    if (!request.stream) {
      const results = await Promise.all(generations.map(collectGeneration));
      const usage = results.reduce(
        (sum, result) => ({
          promptTokens: sum.promptTokens + result.usage.promptTokens,
          completionTokens: sum.completionTokens + result.usage.completionTokens,
        }),
        { promptTokens: 0, completionTokens: 0 },
      );
      return c.json({
        id,
        object: "text_completion",
        created,
        model,
        choices: results.map((result, index) => ({ index, text: result.text, logprobs: null, finish_reason: result.finishReason })),
        usage: usageJson(usage),
      });
    }

    const includeUsage = request.stream_options?.include_usage === true;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ id, object: "text_completion", created, model, choices, ...extra });
    const body = sseBody(async (send) => {
      const usage = { promptTokens: 0, completionTokens: 0 };
      await Promise.all(
        generations.map(async (events, index) => {
          for await (const event of events) {
            if (event.type === "text-delta") send(chunk([{ index, text: event.text, logprobs: null, finish_reason: null }]));
            else if (event.type === "error") send(streamErrorBody(context, event.error));
            else {
              usage.promptTokens += event.usage.promptTokens;
              usage.completionTokens += event.usage.completionTokens;
              send(chunk([{ index, text: "", logprobs: null, finish_reason: event.finishReason }]));
            }
          }
        }),
      );
      if (includeUsage) send(chunk([], { usage: usageJson(usage) }));
    }, abort);
    return new Response(body, { headers: SSE_HEADERS });
  });
}
