/**
 * Per-request generation settings in engine terms (already validated and defaulted by the
 * HTTP layer). Semantics follow vLLM's SamplingParams.
 */

export interface SamplingParams {
  /** < 1e-5 means greedy (vLLM's _SAMPLING_EPS). */
  temperature: number;
  topP: number;
  /** 0 or -1 disables top-k. */
  topK: number;
  /** Multiplicative penalty on tokens seen in prompt or output (1 = off). */
  repetitionPenalty: number;
  /** Subtracted once from any token already generated. */
  presencePenalty: number;
  /** Subtracted per occurrence of a token already generated. */
  frequencyPenalty: number;
  seed: number | null;
  maxTokens: number;
  stop: readonly string[];
  stopTokenIds: readonly number[];
  skipSpecialTokens: boolean;
  /** vLLM's ignore_eos: keep generating past eos (benchmarks). */
  ignoreEos: boolean;
}

export const DEFAULT_SAMPLING: SamplingParams = {
  temperature: 1,
  topP: 1,
  topK: 0,
  repetitionPenalty: 1,
  presencePenalty: 0,
  frequencyPenalty: 0,
  seed: null,
  maxTokens: 16,
  stop: [],
  stopTokenIds: [],
  skipSpecialTokens: true,
  ignoreEos: false,
};
