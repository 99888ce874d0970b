/**
 * Token selection for one sequence, vLLM order: repetition penalty (prompt + output),
 * presence/frequency penalties (output), temperature, top-k, top-p, then a draw from a
 * seeded PRNG (so `seed` makes sampling reproducible). Greedy when temperature < 1e-5.
 */
import { createRandom } from "../model/seeded-random";
import type { SamplingParams } from "./sampling-params";

const SAMPLING_EPS = 1e-5;
/** Candidates below this probability are dropped before sorting (their mass is negligible). */
const MIN_CANDIDATE_PROBABILITY = 1e-10;

export class Sampler {
  private readonly random: () => number;
  private readonly seen: Set<number>;
  private readonly outputCounts = new Map<number, number>();

  constructor(
    private readonly params: SamplingParams,
    promptIds: readonly number[],
  ) {
    const seed = params.seed ?? Math.floor(Math.random() * 2 ** 32);
    this.random = createRandom(seed);
    this.seen = new Set(params.repetitionPenalty !== 1 ? promptIds : []);
  }

  /** Choose the next token from `logits` (length = vocab). */
  next(logits: Float32Array): number {
    const adjusted = this.applyPenalties(logits);
    const token = this.params.temperature < SAMPLING_EPS ? argmax(adjusted) : this.draw(adjusted);
    this.record(token);
    return token;
  }

  private record(token: number): void {
    this.outputCounts.set(token, (this.outputCounts.get(token) ?? 0) + 1);
    if (this.params.repetitionPenalty !== 1) this.seen.add(token);
  }

  private applyPenalties(logits: Float32Array): Float32Array {
    const { repetitionPenalty, presencePenalty, frequencyPenalty } = this.params;
    if (repetitionPenalty === 1 && presencePenalty === 0 && frequencyPenalty === 0) return logits;
    const out = Float32Array.from(logits);
    if (repetitionPenalty !== 1) {
      for (const token of this.seen) {
        const value = out[token] ?? 0;
        out[token] = value > 0 ? value / repetitionPenalty : value * repetitionPenalty;
      }
    }
    for (const [token, count] of this.outputCounts) {
      out[token] = (out[token] ?? 0) - frequencyPenalty * count - presencePenalty;
    }
    return out;
  }

  private draw(logits: Float32Array): number {
    const { temperature, topK, topP } = this.params;
    let max = -Infinity;
    for (const value of logits) if (value > max) max = value;
    const probabilities = new Float64Array(logits.length);
    let total = 0;
    for (let index = 0; index < logits.length; index++) {
      const probability = Math.exp(((logits[index] ?? -Infinity) - max) / temperature);
      probabilities[index] = probability;
      total += probability;
    }
    let candidates: number[] = [];
    for (let index = 0; index < probabilities.length; index++) {
      const probability = (probabilities[index] ?? 0) / total;
      probabilities[index] = probability;
      if (probability > MIN_CANDIDATE_PROBABILITY) candidates.push(index);
    }
    candidates.sort((a, b) => (probabilities[b] ?? 0) - (probabilities[a] ?? 0) || a - b);
    if (topK > 0) candidates = candidates.slice(0, topK);
    if (topP < 1) {
      let cumulative = 0;
      let keep = 0;
      while (keep < candidates.length && (keep === 0 || cumulative < topP)) {
        cumulative += probabilities[candidates[keep] ?? 0] ?? 0;
        keep++;
      }
      candidates = candidates.slice(0, keep);
    }
    const mass = candidates.reduce((sum, token) => sum + (probabilities[token] ?? 0), 0);
    let target = this.random() * mass;
    for (const token of candidates) {
      target -= probabilities[token] ?? 0;
      if (target <= 0) return token;
    }
    return candidates[candidates.length - 1] ?? argmax(logits);
  }
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let index = 1; index < values.length; index++) if ((values[index] ?? -Infinity) > (values[best] ?? -Infinity)) best = index;
  return best;
}
