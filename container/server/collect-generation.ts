/**
 * Drains a generation's events into the final text, finish reason and usage (non-streaming
 * responses); an error event becomes a thrown error for the route's error mapping.
 */
import type { FinishReason, GenerationEvent, Usage } from "../engine/generation-events";
import { EngineError } from "../engine/engine-errors";

export interface CollectedGeneration {
  text: string;
  finishReason: FinishReason;
  usage: Usage;
}

export async function collectGeneration(events: AsyncIterable<GenerationEvent>): Promise<CollectedGeneration> {
  let text = "";
  for await (const event of events) {
    if (event.type === "text-delta") text += event.text;
    else if (event.type === "error") throw event.error;
    else return { text, finishReason: event.finishReason, usage: event.usage };
  }
  throw new EngineError("request_cancelled", "the request was cancelled");
}

export function usageJson(usage: Usage): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
}
