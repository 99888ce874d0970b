/**
 * Turns a validated request into engine SamplingParams: request fields first, then the model's
 * generation_config defaults, then OpenAI's defaults (vLLM's precedence).
 */
import type { SamplingParams } from "../engine/sampling-params";
import type { ModelFolder } from "../engine/model-folder";
import type { SamplingRequest } from "./request-schemas";

export function samplingFromRequest(request: SamplingRequest, defaults: ModelFolder["generationDefaults"], maxTokens: number): SamplingParams {
  return {
    temperature: request.temperature ?? defaults.temperature ?? 1,
    topP: request.top_p ?? defaults.top_p ?? 1,
    topK: request.top_k ?? defaults.top_k ?? 0,
    repetitionPenalty: request.repetition_penalty ?? defaults.repetition_penalty ?? 1,
    presencePenalty: request.presence_penalty ?? 0,
    frequencyPenalty: request.frequency_penalty ?? 0,
    seed: request.seed ?? null,
    maxTokens,
    stop: request.stop,
    stopTokenIds: request.stop_token_ids ?? [],
    skipSpecialTokens: request.skip_special_tokens ?? true,
    ignoreEos: request.ignore_eos ?? false,
  };
}
