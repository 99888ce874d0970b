/**
 * Reads a streamed OpenAI chat completion (SSE of `chat.completion.chunk`)
 * into the model client's parts: text deltas, then one `finish` with the
 * finish reason and the usage the server reported. Only a stream that says it
 * is complete (a `finish_reason`, or `data: [DONE]`) finishes: one that ends
 * without either was cut off (`model-interrupted`), a body that is not an
 * event stream or holds an unreadable chunk is `model-bad-response`, and an
 * error frame (`data: {"error": …}`) is the server's failure, mapped as its
 * HTTP status would be. On any failure the response body is cancelled, so
 * the server stops generating.
 */
import { z } from "zod";
import { AgentError } from "./errors";
import { safeParseJSON } from "./json";
import type { ModelStreamPart } from "./model-client";
import { toTransportError } from "./model-transport";
import { readSSEFrames } from "./sse-frames";

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

const errorFrameSchema = z.object({ error: z.object({ message: z.string().nullish(), code: z.string().nullish() }) });

type Usage = { promptTokens: number; completionTokens: number };

export async function* readChatStream(body: ReadableStream<Uint8Array>, signal: AbortSignal | undefined): AsyncGenerator<ModelStreamPart> {
  let reason: "stop" | "length" | undefined;
  let usage: Usage | undefined;
  let done = false;
  let frames = 0;
  try {
    for await (const frame of readSSEFrames(body)) {
      frames += 1;
      if (frame.data === "[DONE]") {
        done = true;
        break;
      }
      const json = safeParseJSON(frame.data);
      if (!json.ok) throw new AgentError("model-bad-response", { detail: "unreadable stream chunk" });
      const failure = errorFrameSchema.safeParse(json.value);
      if (failure.success) throw streamError(failure.data.error.code ?? undefined, failure.data.error.message ?? "");
      const chunk = chatChunkSchema.safeParse(json.value);
      if (!chunk.success) throw new AgentError("model-bad-response", { detail: "unreadable stream chunk" });
      if (chunk.data.usage) usage = { promptTokens: chunk.data.usage.prompt_tokens, completionTokens: chunk.data.usage.completion_tokens };
      const choice = chunk.data.choices[0];
      if (choice?.finish_reason) reason = choice.finish_reason === "length" ? "length" : "stop";
      const text = choice?.delta?.content;
      if (text) yield { type: "text-delta", text };
    }
    if (frames === 0) throw new AgentError("model-bad-response", { detail: "the model server's 200 answer holds no event stream" });
    if (!done && reason === undefined) {
      throw new AgentError("model-interrupted", { retryable: true, detail: "the model server's stream ended without a finish_reason or [DONE]" });
    }
  } catch (error) {
    await body.cancel().catch(() => undefined);
    if (error instanceof AgentError) throw error;
    const transport = toTransportError(error, signal, undefined);
    // A break after the answer began is a cut answer, whatever carried it (a reset connection,
    // or the engine pool's guard turning an end without [DONE] into a stream error).
    if (transport.code === "model-unavailable" && frames > 0) {
      throw new AgentError("model-interrupted", { retryable: true, cause: error, detail: "the model server's stream broke off mid-answer" });
    }
    throw transport;
  }
  // [DONE] without a finish_reason: the server said the stream is complete.
  yield usage ? { type: "finish", reason: reason ?? "stop", usage } : { type: "finish", reason: reason ?? "stop" };
}

/** The error a server reports inside its stream, mapped like the same failure as an HTTP status. */
function streamError(code: string | undefined, message: string): AgentError {
  const detail = `model server sent an error frame (${code ?? "no code"}): ${message.slice(0, 200)}`;
  if (code === "request_timeout" || code === "timeout") return new AgentError("model-timeout", { retryable: true, detail });
  if (code === "queue_full" || code === "overloaded") return new AgentError("model-busy", { retryable: true, detail });
  if (code === "context_length_exceeded") return new AgentError("context-too-long", { detail, param: "messages" });
  return new AgentError("model-unavailable", { retryable: true, detail });
}
