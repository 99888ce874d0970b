/**
 * Float64 LLaMA forward pass in plain TypeScript: the test oracle for the ONNX graph.
 * Written straight from the HF LlamaForCausalLM equations (RMSNorm, rotate-half RoPE,
 * repeat-KV GQA, SwiGLU), independent of the graph builder's tricks, and intentionally slow.
 */
import type { LlamaDims } from "../../container/model/llama-dims";

type Weights = ReadonlyMap<string, Float32Array>;

function get(weights: Weights, name: string): Float32Array {
  const value = weights.get(name);
  if (!value) throw new Error(`missing weight ${name}`);
  return value;
}

/** x [in] times W [in, out] (row-major). */
function matVec(x: Float64Array, w: Float32Array, outSize: number): Float64Array {
  const out = new Float64Array(outSize);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] ?? 0;
    const row = i * outSize;
    for (let j = 0; j < outSize; j++) out[j] = (out[j] ?? 0) + xi * (w[row + j] ?? 0);
  }
  return out;
}

function rmsNorm(x: Float64Array, weight: Float32Array, eps: number): Float64Array {
  let sum = 0;
  for (const value of x) sum += value * value;
  const scale = 1 / Math.sqrt(sum / x.length + eps);
  return x.map((value, index) => value * scale * (weight[index] ?? 0));
}

function rope(vector: Float64Array, offset: number, headDim: number, position: number, theta: number): void {
  const half = headDim / 2;
  for (let i = 0; i < half; i++) {
    const angle = position / theta ** ((2 * i) / headDim);
    const a = vector[offset + i] ?? 0;
    const b = vector[offset + i + half] ?? 0;
    vector[offset + i] = a * Math.cos(angle) - b * Math.sin(angle);
    vector[offset + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
  }
}

/** Incremental reference decoder with its own KV cache (one sequence, no padding). */
export class ReferenceLlama {
  private readonly keys: Float64Array[][];
  private readonly values: Float64Array[][];

  constructor(
    private readonly dims: LlamaDims,
    private readonly weights: Weights,
  ) {
    this.keys = Array.from({ length: dims.numLayers }, () => []);
    this.values = Array.from({ length: dims.numLayers }, () => []);
  }

  get length(): number {
    return this.keys[0]?.length ?? 0;
  }

  /** Feed one token; returns the logits for the next position. */
  step(tokenId: number): Float64Array {
    const { dims, weights } = this;
    const { hiddenSize: h, numHeads, numKvHeads, headDim, intermediateSize: m } = dims;
    const position = this.length;
    const embed = get(weights, "model.embed_tokens.weight");
    let hidden = Float64Array.from(embed.subarray(tokenId * h, (tokenId + 1) * h));
    for (let layer = 0; layer < dims.numLayers; layer++) {
      const prefix = `model.layers.${layer}`;
      const normed = rmsNorm(hidden, get(weights, `${prefix}.input_layernorm.weight`), dims.rmsNormEps);
      const q = matVec(normed, get(weights, `${prefix}.self_attn.q_proj.weight`), numHeads * headDim);
      const k = matVec(normed, get(weights, `${prefix}.self_attn.k_proj.weight`), numKvHeads * headDim);
      const v = matVec(normed, get(weights, `${prefix}.self_attn.v_proj.weight`), numKvHeads * headDim);
      for (let head = 0; head < numHeads; head++) rope(q, head * headDim, headDim, position, dims.ropeTheta);
      for (let head = 0; head < numKvHeads; head++) rope(k, head * headDim, headDim, position, dims.ropeTheta);
      const layerKeys = this.keys[layer] ?? [];
      const layerValues = this.values[layer] ?? [];
      layerKeys.push(k);
      layerValues.push(v);
      const attended = new Float64Array(numHeads * headDim);
      const repeat = numHeads / numKvHeads;
      for (let head = 0; head < numHeads; head++) {
        const kvHead = Math.floor(head / repeat);
        const scores = layerKeys.map((key) => {
          let dot = 0;
          for (let d = 0; d < headDim; d++) dot += (q[head * headDim + d] ?? 0) * (key[kvHead * headDim + d] ?? 0);
          return dot / Math.sqrt(headDim);
        });
        const max = Math.max(...scores);
        const exps = scores.map((score) => Math.exp(score - max));
        const total = exps.reduce((sum, value) => sum + value, 0);
        exps.forEach((weight, t) => {
          const value = layerValues[t];
          for (let d = 0; d < headDim; d++)
            attended[head * headDim + d] = (attended[head * headDim + d] ?? 0) + (weight / total) * (value?.[kvHead * headDim + d] ?? 0);
        });
      }
      const attentionOut = matVec(attended, get(weights, `${prefix}.self_attn.o_proj.weight`), h);
      hidden = hidden.map((value, index) => value + (attentionOut[index] ?? 0));
      const normed2 = rmsNorm(hidden, get(weights, `${prefix}.post_attention_layernorm.weight`), dims.rmsNormEps);
      const gate = matVec(normed2, get(weights, `${prefix}.mlp.gate_proj.weight`), m);
      const up = matVec(normed2, get(weights, `${prefix}.mlp.up_proj.weight`), m);
      const activated = gate.map((value, index) => (value / (1 + Math.exp(-value))) * (up[index] ?? 0));
      const mlpOut = matVec(activated, get(weights, `${prefix}.mlp.down_proj.weight`), h);
      hidden = hidden.map((value, index) => value + (mlpOut[index] ?? 0));
    }
    const final = rmsNorm(hidden, get(weights, "model.norm.weight"), dims.rmsNormEps);
    if (dims.tieWordEmbeddings) {
      const logits = new Float64Array(dims.vocabSize);
      for (let token = 0; token < dims.vocabSize; token++) {
        let dot = 0;
        for (let i = 0; i < h; i++) dot += (final[i] ?? 0) * (embed[token * h + i] ?? 0);
        logits[token] = dot;
      }
      return logits;
    }
    return matVec(final, get(weights, "lm_head.weight"), dims.vocabSize);
  }
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let index = 1; index < values.length; index++) if ((values[index] ?? -Infinity) > (values[best] ?? -Infinity)) best = index;
  return best;
}

/** Greedy continuation of `promptIds` for `count` tokens, with per-step logits. */
export function referenceGreedy(dims: LlamaDims, weights: Weights, promptIds: readonly number[], count: number): { tokens: number[]; logits: Float64Array[] } {
  const model = new ReferenceLlama(dims, weights);
  let logits: Float64Array = new Float64Array(0);
  for (const id of promptIds) logits = model.step(id);
  const tokens: number[] = [];
  const allLogits: Float64Array[] = [];
  for (let index = 0; index < count; index++) {
    allLogits.push(logits);
    const next = argmax(logits);
    tokens.push(next);
    if (index < count - 1) logits = model.step(next);
  }
  return { tokens, logits: allLogits };
}
