/**
 * Seeded random LLaMA weights (mulberry32 + Box-Muller), deterministic across runs and
 * platforms. Scales are chosen so a tiny model's logits are well spread (greedy picks are
 * not near-ties), which keeps parity tests between runtimes meaningful.
 */
import { type LlamaDims, llamaWeightShapes } from "./llama-dims";
import { createRandom } from "./seeded-random";

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function scaleFor(name: string, shape: readonly number[]): { mean: number; std: number } {
  if (name.endsWith("layernorm.weight") || name === "model.norm.weight") return { mean: 1, std: 0.1 };
  if (name === "model.embed_tokens.weight") return { mean: 0, std: 1 };
  // Biases large enough that a converter dropping them is visibly wrong.
  if (name.endsWith(".bias")) return { mean: 0, std: 0.5 };
  const fanIn = shape[0] ?? 1;
  if (name === "lm_head.weight") return { mean: 0, std: 4 / Math.sqrt(fanIn) };
  return { mean: 0, std: 1 / Math.sqrt(fanIn) };
}

/** All weights of a model in `x @ W` layout, keyed by HF-style name. */
export function randomLlamaWeights(dims: LlamaDims, seed: number): Map<string, Float32Array> {
  const random = createRandom(seed);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of llamaWeightShapes(dims)) {
    const { mean, std } = scaleFor(name, shape);
    const values = new Float32Array(shape.reduce((product, dim) => product * dim, 1));
    for (let index = 0; index < values.length; index++) values[index] = mean + std * gaussian(random);
    weights.set(name, values);
  }
  return weights;
}
