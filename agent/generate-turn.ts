/**
 * One model generation: streams the raw text through the tool-call parser,
 * passes answer text through the citation rewriter as `text-delta` events
 * (when the caller wants it shown), and returns what the turn produced: the
 * text, the tool call if any, and how it ended. A model failure is returned,
 * not thrown, so the agent can still finish gracefully.
 */
import type { CitationRewriter } from "./citation-stream";
import { AgentError, isAgentError } from "./errors";
import type { ChatEvent } from "./events";
import type { ChatStreamRequest, ModelClient, ModelMessage } from "./model-client";
import { stripControlTokens, TURN_END } from "./special-tokens";
import { raceSignal } from "./race-signal";
import { ToolCallStreamParser } from "./tool-call-stream";

export interface GenerateTurnInput {
  model: ModelClient;
  messages: ModelMessage[];
  maxTokens: number;
  temperature: number;
  /** Stop strings besides the end of the turn (the caller's, for answers). */
  stop?: string[];
  /** The caller's sampling settings, passed to the model as given. */
  sampling?: Pick<ChatStreamRequest, "topP" | "seed" | "presencePenalty" | "frequencyPenalty">;
  /** Show the text to the user as it streams (false: the decision text in mode `always`). */
  showText: boolean;
  rewriter: CitationRewriter;
  /** Whole generation, stalls included: past it the turn fails with `model-timeout`. */
  timeoutMs: number;
  /**
   * Stop once this much text came without a tool call starting (mode `always`: the
   * decision only matters for its query, and a model that chats first is not calling).
   */
  giveUpAfterChars?: number;
  signal?: AbortSignal;
}

export interface GenerateTurnResult {
  /** Text before the tool call (or the whole answer). */
  text: string;
  call?: { raw: string; terminated: boolean };
  finishReason: "stop" | "length";
  /** Everything the model generated, for usage accounting. */
  generated: string;
  reportedUsage?: { promptTokens: number; completionTokens: number };
  failure?: AgentError;
}

export async function* generateTurn(input: GenerateTurnInput): AsyncGenerator<ChatEvent, GenerateTurnResult> {
  const parser = new ToolCallStreamParser();
  const result: GenerateTurnResult = { text: "", finishReason: "stop", generated: "" };
  const timeout = AbortSignal.timeout(input.timeoutMs);
  // Ends the upstream request once the turn is decided: nothing after a call or an end token is used.
  const stop = new AbortController();
  const signal = AbortSignal.any(input.signal ? [input.signal, timeout, stop.signal] : [timeout, stop.signal]);
  const parts = input.model
    .streamChat({
      ...input.sampling,
      messages: input.messages,
      maxTokens: input.maxTokens,
      temperature: input.temperature,
      stop: [TURN_END, ...(input.stop ?? [])],
      signal,
    })
    [Symbol.asyncIterator]();
  try {
    for (;;) {
      // Raced against the signal: a client that ignores it still cannot hang the answer.
      const step = await raceSignal(parts.next(), signal);
      if (step.done) break;
      const part = step.value;
      if (input.signal?.aborted) throw new AgentError("aborted");
      if (part.type === "finish") {
        result.finishReason = part.reason;
        if (part.usage) result.reportedUsage = part.usage;
        continue;
      }
      result.generated += part.text;
      for (const parsed of parser.push(part.text)) yield* handle(parsed, input, result);
      if (parser.isDone || (input.giveUpAfterChars !== undefined && !parser.inCall && result.text.length > input.giveUpAfterChars)) break;
    }
  } catch (error) {
    if (timeout.aborted && !input.signal?.aborted) result.failure = new AgentError("model-timeout", { retryable: true, cause: error });
    else if (input.signal?.aborted) result.failure = new AgentError("aborted", { cause: error });
    else result.failure = isAgentError(error) ? error : new AgentError("model-unavailable", { retryable: true, cause: error });
  }
  stop.abort();
  void parts.return?.(undefined)?.catch(() => undefined);
  for (const parsed of parser.finish()) {
    // A call cut off by a failure is not run.
    if (result.failure && parsed.type === "tool-call") continue;
    yield* handle(parsed, input, result);
  }
  if (input.showText) yield* input.rewriter.finish();
  return result;
}

function* handle(parsed: ReturnType<ToolCallStreamParser["push"]>[number], input: GenerateTurnInput, result: GenerateTurnResult): Generator<ChatEvent> {
  if (parsed.type === "text") {
    const text = stripControlTokens(parsed.text);
    if (text === "") return;
    result.text += text;
    if (input.showText) yield* input.rewriter.push(text);
  } else if (parsed.type === "tool-call-start") {
    if (input.showText) yield* input.rewriter.finish();
  } else {
    result.call = { raw: parsed.raw, terminated: parsed.terminated };
  }
}
