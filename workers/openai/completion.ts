/**
 * Builds the non-streaming `chat.completion` object from the agent's events:
 * text with citation links, `url_citation` annotations, finish reason and
 * usage, plus Sonar's `citations` / `search_results` (and `related_questions`
 * when asked). An answer that failed before any text becomes a 502 in the public
 * error shape (with the agent's public message, never upstream detail).
 */
import type { ChatEvent } from "../../agent/events";
import { ApiError } from "../errors";
import { CitationLinker, type UrlCitation } from "./citation-links";
import { SonarSources, type SonarSourceFields } from "./sonar-fields";

export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

/** Writes Sonar's `related_questions` for a finished answer (set when the request asked for them). */
export type RelatedQuestionsWriter = (answer: string) => Promise<string[]>;

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
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  related_questions?: string[];
}

export function toOpenAIUsage(usage: { promptTokens: number; completionTokens: number }): ChatCompletion["usage"] {
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
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
  let finishReason: "stop" | "length" = "stop";
  let failed: string | undefined;
  let usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  const append = (part: { text: string; annotations: UrlCitation[] }) => {
    content += part.text;
    annotations.push(...part.annotations);
  };
  for await (const event of events) {
    sonar.observe(event);
    if (event.type === "source") linker.addSource(event.index, event.url, event.title);
    else if (event.type === "text-delta") append(linker.push(event.delta));
    else if (event.type === "error") failed = event.message;
    else if (event.type === "finish") {
      if (event.reason === "length") finishReason = "length";
      if (event.reason !== "error") failed = undefined;
      usage = toOpenAIUsage(event.usage);
    }
  }
  append(linker.end());
  if (failed !== undefined && content.trim() === "") throw new ApiError("engine_unavailable", failed);
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message: { role: "assistant", content, refusal: null, annotations }, finish_reason: finishReason, logprobs: null }],
    usage,
    ...sonar.fields(),
    ...(relatedQuestions ? { related_questions: await relatedQuestions(content) } : {}),
  };
}
