/**
 * Follow-up questions for Sonar's `return_related_questions`: after an answer, one more chat call
 * asks the model for a few questions the user might ask next, one per line. The lines are cleaned
 * (numbering, bullets, quotes and control tokens removed) and kept only when they read as a
 * question-length line; a model that writes nothing usable yields an empty list, never an error
 * that would spoil the answer already given (the caller logs the failure). The call's usage is
 * returned (the engine's count, else the estimate), so the turn's usage counts it. Platform-free.
 */
import { estimateTokens } from "../search/token-estimate";
import type { ModelClient } from "./model-client";
import { ANSWER_END_TOKENS, neutralize, stripControlTokens } from "./special-tokens";

export const MAX_RELATED_QUESTIONS = 5;

export interface RelatedQuestionsRequest {
  question: string;
  answer: string;
  /** BCP 47 tag or a language name; default: the language of the question. */
  language?: string;
  signal?: AbortSignal;
}

export function relatedQuestionsPrompt(request: RelatedQuestionsRequest): string {
  return [
    `Question: ${neutralize(request.question)}`,
    `Answer: ${neutralize(request.answer.slice(0, 2_000))}`,
    "",
    `Write ${MAX_RELATED_QUESTIONS - 2} short follow-up questions the user may ask next, one per line, with no numbering and no other text.`,
    `Write them in the language of the question${request.language ? ` (${request.language})` : ""}.`,
  ].join("\n");
}

/** Cleans the model's lines into at most MAX_RELATED_QUESTIONS distinct questions. */
export function parseRelatedQuestions(text: string): string[] {
  let body = text;
  for (const token of ANSWER_END_TOKENS) {
    const at = body.indexOf(token);
    if (at >= 0) body = body.slice(0, at);
  }
  const seen = new Set<string>();
  const questions: string[] = [];
  for (const raw of stripControlTokens(body).split("\n")) {
    const line = raw
      .replace(/^\s*(?:[-*•]|\d{1,2}[.)、]|Q\d*[:.])\s*/i, "")
      .replace(/^["“「]|["”」]$/g, "")
      .trim();
    if (line.length < 4 || line.length > 200 || seen.has(line.toLowerCase())) continue;
    seen.add(line.toLowerCase());
    questions.push(line);
    if (questions.length >= MAX_RELATED_QUESTIONS) break;
  }
  return questions;
}

export interface RelatedQuestions {
  questions: string[];
  /** The model call's tokens (absent when the call failed). */
  usage?: { promptTokens: number; completionTokens: number };
  error?: unknown;
}

/** Asks the model; a failure (other than the caller's abort) gives an empty list and the error, for the log. */
export async function writeRelatedQuestions(model: ModelClient, request: RelatedQuestionsRequest): Promise<RelatedQuestions> {
  let text = "";
  const prompt = relatedQuestionsPrompt(request);
  let usage: RelatedQuestions["usage"];
  try {
    for await (const part of model.streamChat({
      messages: [{ role: "user", content: prompt }],
      maxTokens: 160,
      temperature: 0.3,
      stop: [...ANSWER_END_TOKENS],
      ...(request.signal ? { signal: request.signal } : {}),
    })) {
      if (part.type === "text-delta") text += part.text;
      else if (part.type === "finish") usage = part.usage;
    }
  } catch (error) {
    if (request.signal?.aborted) throw error;
    return { questions: [], error };
  }
  return { questions: parseRelatedQuestions(text), usage: usage ?? { promptTokens: estimateTokens(prompt), completionTokens: estimateTokens(text) } };
}
