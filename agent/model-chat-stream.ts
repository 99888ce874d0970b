/**
 * Reads a streamed OpenAI chat completion (SSE of `chat.completion.chunk`)
 * into the model client's parts: text deltas, then one `finish` with the
 * finish reason and the usage the server reported.
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

export async function* readChatStream(body: ReadableStream<Uint8Array>, signal: AbortSignal | undefined): AsyncGenerator<ModelStreamPart> {
  let reason: "stop" | "length" = "stop";
  let usage: { promptTokens: number; completionTokens: number } | undefined;
  try {
    for await (const frame of readSSEFrames(body)) {
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
    throw toTransportError(error, signal, undefined);
  }
  yield usage ? { type: "finish", reason, usage } : { type: "finish", reason };
}
