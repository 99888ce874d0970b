/**
 * Token usage of one answer, counted two ways: `answer`, the model call that
 * wrote the answer (what OpenAI's `usage` means), and `turn`, every model call
 * of the turn added up (the search decision, the page summaries, the answer),
 * with their number. Summary calls are counted by wrapping the model client.
 */
import type { ModelClient } from "./model-client";

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface TurnUsage extends TokenUsage {
  modelCalls: number;
}

export interface UsageCounts {
  answer: TokenUsage;
  turn: TurnUsage;
}

export function newUsageCounts(): UsageCounts {
  return { answer: { promptTokens: 0, completionTokens: 0 }, turn: { promptTokens: 0, completionTokens: 0, modelCalls: 0 } };
}

/** Adds one model call to the turn's total. */
export function addModelCall(turn: TurnUsage, usage: TokenUsage): void {
  turn.promptTokens += usage.promptTokens;
  turn.completionTokens += usage.completionTokens;
  turn.modelCalls += 1;
}

/** The same client, with every batched completion call (page summaries) added to `turn`. */
export function meterCompletions(model: ModelClient, turn: TurnUsage): ModelClient {
  return {
    model: model.model,
    streamChat: (request) => model.streamChat(request),
    countTokens: (text) => model.countTokens(text),
    complete: async (request) => {
      let reported = false;
      const texts = await model.complete({
        ...request,
        onUsage: (usage) => {
          reported = true;
          addModelCall(turn, usage);
          request.onUsage?.(usage);
        },
      });
      if (!reported) turn.modelCalls += 1;
      return texts;
    },
  };
}
