/**
 * Sampling semantics (vLLM): greedy at temperature 0, seeded draws are reproducible, top-k
 * and top-p restrict the candidates, and the penalties move the logits the documented way.
 */
import { describe, expect, it } from "vitest";
import { Sampler } from "../../../container/engine/sampler";
import { DEFAULT_SAMPLING, type SamplingParams } from "../../../container/engine/sampling-params";

const logits = Float32Array.from([1.0, 3.0, 2.9, -1.0, 0.5]);
const params = (overrides: Partial<SamplingParams>): SamplingParams => ({ ...DEFAULT_SAMPLING, ...overrides });
const draws = (sampler: Sampler, count: number): number[] => Array.from({ length: count }, () => sampler.next(logits));

describe("Sampler", () => {
  it("is greedy below temperature 1e-5", () => {
    expect(draws(new Sampler(params({ temperature: 0 }), []), 5)).toEqual([1, 1, 1, 1, 1]);
  });

  it("reproduces the same draws for the same seed and varies across seeds", () => {
    const a = draws(new Sampler(params({ temperature: 1, seed: 11 }), []), 40);
    const b = draws(new Sampler(params({ temperature: 1, seed: 11 }), []), 40);
    const c = draws(new Sampler(params({ temperature: 1, seed: 12 }), []), 40);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a).size).toBeGreaterThan(2);
  });

  it("top_k=2 and top_p=0.5 restrict the candidates", () => {
    expect(new Set(draws(new Sampler(params({ temperature: 1, topK: 2, seed: 1 }), []), 200))).toEqual(new Set([1, 2]));
    // p(1) ≈ 0.43 < 0.5, so the nucleus is {1, 2}.
    expect(new Set(draws(new Sampler(params({ temperature: 1, topP: 0.5, seed: 2 }), []), 200))).toEqual(new Set([1, 2]));
  });

  it("repetition_penalty divides positive and multiplies negative logits of seen tokens (prompt included)", () => {
    // Token 1 was in the prompt: 3.0 / 2 = 1.5 < 2.9, so greedy picks token 2.
    const sampler = new Sampler(params({ temperature: 0, repetitionPenalty: 2 }), [1]);
    expect(sampler.next(logits)).toBe(2);
    // Now 2 is penalized too (1.45); token 0 (1.0) stays below 1.5, so 1 wins again.
    expect(sampler.next(logits)).toBe(1);
  });

  it("presence and frequency penalties apply to generated tokens only", () => {
    const presence = new Sampler(params({ temperature: 0, presencePenalty: 0.2 }), [2]);
    expect([presence.next(logits), presence.next(logits)]).toEqual([1, 2]);
    const frequency = new Sampler(params({ temperature: 0, frequencyPenalty: 0.06 }), []);
    // After one draw 3.0 - 0.06 = 2.94 still wins; after two, 2.88 < 2.9.
    expect([frequency.next(logits), frequency.next(logits), frequency.next(logits)]).toEqual([1, 1, 2]);
  });
});
