/**
 * Weights for the Omni towers: the source type the graph builders read from (thunks let a converter stream), and
 * seeded random weights for tiny test/demo models. Scales keep activations O(1) so parity tests are meaningful.
 */
import type { TensorBytes } from "../onnx/onnx-model";
import { bytesOf } from "../onnx/tensor-bytes";
import { createRandom } from "../model/seeded-random";
import { omniWeightShapes, type AudioDims, type VisionDims } from "./omni-dims";

export type OmniWeightSource = (name: string, shape: readonly number[]) => TensorBytes;

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function scaleFor(name: string, shape: readonly number[]): { mean: number; std: number } {
  if (/(layer_norm\d|layernorm|_ln|ln_\w+)\.weight$/.test(name)) return { mean: 1, std: 0.1 };
  if (name.endsWith(".bias")) return { mean: 0, std: 0.05 };
  if (name.endsWith("position_embedding.weight") || name === "resampler.query" || name.endsWith("bos_eos_token.weight")) return { mean: 0, std: 0.5 };
  if (name.endsWith("patch_embedding.weight")) return { mean: 0, std: 1 / Math.sqrt(3 * (shape[2] ?? 1) * (shape[3] ?? 1)) };
  if (name.startsWith("audio.conv")) return { mean: 0, std: 1 / Math.sqrt((shape[1] ?? 1) * 3) };
  return { mean: 0, std: 1 / Math.sqrt(shape[0] ?? 1) };
}

export function randomOmniWeights(config: { vision: VisionDims; audio: AudioDims }, seed: number): Map<string, Float32Array> {
  const random = createRandom(seed);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of omniWeightShapes(config)) {
    const { mean, std } = scaleFor(name, shape);
    const values = new Float32Array(shape.reduce((product, dim) => product * dim, 1));
    for (let i = 0; i < values.length; i++) values[i] = mean + std * gaussian(random);
    weights.set(name, values);
  }
  return weights;
}

export function float32OmniWeightSource(weights: ReadonlyMap<string, Float32Array>): OmniWeightSource {
  return (name) => {
    const values = weights.get(name);
    if (values === undefined) throw new Error(`missing weight ${name}`);
    return bytesOf(values);
  };
}
