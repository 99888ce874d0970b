/**
 * Builds the non-streaming `chat.completion` object from the agent's events:
 * text with citation links, `url_citation` annotations, finish reason and
 * usage (the answer's call, as OpenAI counts it; the whole turn's calls in the
 * `turn_usage` extension), plus Sonar's `citations` / `search_results` (and
 * `related_questions` when asked). An answer that failed is an error in the public
 * shape with the status its reason calls for (workers/openai/answer-failure.ts),
 * whatever text it had: a partial or fallback text is never a completion.
 */
import type { ChatEvent, ChatEventOf } from "../../agent/events";
import { ApiError } from "../errors";
import { answerFailure, endsTheAnswer } from "./answer-failure";
import { CitationLinker, type UrlCitation } from "./citation-links";
import { SonarSources, type SonarSourceFields } from "./sonar-fields";

export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

/** Writes Sonar's `related_questions` for a finished answer (set when the request asked for them), with its model call's usage. */
export type RelatedQuestionsWriter = (answer: string) => Promise<{ questions: string[]; usage?: FinishEvent["usage"] }>;

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Extension: every model call of the turn (search decision, page summaries, answer), added up. */
export interface TurnUsage extends OpenAIUsage {
  model_calls: number;
}

export interface ChatCompletion extends SonarSourceFields {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: {
    index: 0;
    message: { role: "assistant"; content: string; refusal: null; annotations: UrlCitation[] };
    finish_reason: "stop" | "length";
    logprobs: null;
  }[];
  usage: OpenAIUsage;
  turn_usage: TurnUsage;
  related_questions?: string[];
}

type FinishEvent = ChatEventOf<"finish">;

export function toOpenAIUsage(usage: FinishEvent["usage"]): OpenAIUsage {
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
}

/** @param extraCall a model call made after the answer (Sonar's related questions), counted in the turn. */
export function toTurnUsage(event: FinishEvent, extraCall?: FinishEvent["usage"]): TurnUsage {
  const turn = event.turnUsage ?? { ...event.usage, modelCalls: 0 };
  const all = extraCall
    ? {
        promptTokens: turn.promptTokens + extraCall.promptTokens,
        completionTokens: turn.completionTokens + extraCall.completionTokens,
        modelCalls: turn.modelCalls + 1,
      }
    : turn;
  return { ...toOpenAIUsage(all), model_calls: all.modelCalls };
}

export async function collectCompletion(
  events: AsyncIterable<ChatEvent>,
  meta: CompletionMeta,
  relatedQuestions?: RelatedQuestionsWriter,
): Promise<ChatCompletion> {
  const linker = new CitationLinker();
  const sonar = new SonarSources();
  let content = "";
  const annotations: UrlCitation[] = [];
  let failure: ChatEventOf<"error"> | undefined;
  let finish: FinishEvent | undefined;
  const append = (part: { text: string; annotations: UrlCitation[] }) => {
    content += part.text;
    annotations.push(...part.annotations);
  };
  for await (const event of events) {
    sonar.observe(event);
    if (event.type === "source") linker.addSource(event.index, event.url, event.title);
    else if (event.type === "text-delta") append(linker.push(event.delta));
    else if (endsTheAnswer(event)) failure = event;
    else if (event.type === "finish") finish = event;
  }
  append(linker.end());
  if (finish?.reason === "aborted") throw new ApiError("request_cancelled", "The request was cancelled.");
  if (!finish || finish.reason === "error") throw answerFailure(failure);
  const related = relatedQuestions ? await relatedQuestions(content) : undefined;
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content, refusal: null, annotations },
        finish_reason: finish.reason === "length" ? "length" : "stop",
        logprobs: null,
      },
    ],
    usage: toOpenAIUsage(finish.usage),
    turn_usage: toTurnUsage(finish, related?.usage),
    ...sonar.fields(),
    ...(related ? { related_questions: related.questions } : {}),
  };
}
