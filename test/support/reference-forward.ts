/**
 * Float64 LLaMA forward pass in plain TypeScript: the test oracle for the ONNX graph.
 * Written straight from the HF LlamaForCausalLM equations (RMSNorm, rotate-half RoPE with
 * transformers' linear / dynamic-NTK / llama3 scaling, repeat-KV GQA, optional q/k/v/o and MLP
 * biases, the gated MLP with ACT2FN's activations), independent of the graph builder and of
 * rope-frequencies.ts, and intentionally slow.
 */
import type { LlamaActivation, LlamaDims } from "../../container/model/llama-dims";

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

/** x @ W + b: a HF Linear (weight stored [in, out]); the bias only when the config has one. */
function linear(weights: Weights, x: Float64Array, name: string, outSize: number, bias: boolean): Float64Array {
  const out = matVec(x, get(weights, `${name}.weight`), outSize);
  if (bias) {
    const b = get(weights, `${name}.bias`);
    for (let j = 0; j < outSize; j++) out[j] = (out[j] ?? 0) + (b[j] ?? 0);
  }
  return out;
}

/** erf by Abramowitz–Stegun 7.1.26 refined with a Taylor series near 0 (|error| < 1e-12 where it matters here). */
function erf(x: number): number {
  if (Math.abs(x) < 2) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 60; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction for erfc at |x| >= 2.
  const z = Math.abs(x);
  let fraction = 0;
  for (let n = 60; n >= 1; n--) fraction = n / 2 / (z + fraction);
  const erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + fraction);
  return Math.sign(x) * (1 - erfc);
}

/** transformers' ACT2FN, in float64. */
function activation(kind: LlamaActivation, x: number): number {
  switch (kind) {
    case "silu":
      return x / (1 + Math.exp(-x));
    case "gelu":
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case "gelu_tanh":
      return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    case "quick_gelu":
      return x / (1 + Math.exp(-1.702 * x));
    case "relu":
      return Math.max(0, x);
  }
}

/**
 * transformers' inverse frequencies (modeling_rope_utils): default, linear, dynamic (base rescaled
 * for the call's sequence length), llama3. Written here again, apart from rope-frequencies.ts.
 */
function inverseFrequencies(dims: LlamaDims, callLength: number): Float64Array {
  const scaling = dims.ropeScaling ?? null;
  let base = dims.ropeTheta;
  if (scaling?.type === "dynamic") {
    const max = scaling.originalMaxPositions;
    const seqLen = Math.max(callLength, max);
    base = base * ((scaling.factor * seqLen) / max - (scaling.factor - 1)) ** (dims.headDim / (dims.headDim - 2));
  }
  const inv = new Float64Array(dims.headDim / 2);
  for (let i = 0; i < inv.length; i++) inv[i] = 1 / base ** ((2 * i) / dims.headDim);
  if (scaling?.type === "linear") for (let i = 0; i < inv.length; i++) inv[i] = (inv[i] ?? 0) / scaling.factor;
  if (scaling?.type === "llama3") {
    const { factor, lowFreqFactor, highFreqFactor, originalMaxPositions: old } = scaling;
    for (let i = 0; i < inv.length; i++) {
      const f = inv[i] ?? 0;
      const wavelen = (2 * Math.PI) / f;
      const llama = wavelen > old / lowFreqFactor ? f / factor : f;
      const smooth = (old / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
      const medium = !(wavelen < old / highFreqFactor) && !(wavelen > old / lowFreqFactor);
      inv[i] = medium ? ((1 - smooth) * llama) / factor + smooth * llama : llama;
    }
  }
  return inv;
}

function rope(vector: Float64Array, offset: number, headDim: number, position: number, inv: Float64Array): void {
  const half = headDim / 2;
  for (let i = 0; i < half; i++) {
    const angle = position * (inv[i] ?? 0);
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

  /**
   * Feed one token; returns the logits for the next position. `callLength` is the sequence length of
   * the forward call this token belongs to in HF (its last position + 1): only dynamic RoPE reads it.
   */
  step(tokenId: number, callLength = this.length + 1): Float64Array {
    const { dims, weights } = this;
    const { hiddenSize: h, numHeads, numKvHeads, headDim, intermediateSize: m } = dims;
    const position = this.length;
    const inv = inverseFrequencies(dims, callLength);
    const attentionBias = dims.attentionBias === true;
    const mlpBias = dims.mlpBias === true;
    const act = dims.hiddenAct ?? "silu";
    const embed = get(weights, "model.embed_tokens.weight");
    let hidden = Float64Array.from(embed.subarray(tokenId * h, (tokenId + 1) * h));
    for (let layer = 0; layer < dims.numLayers; layer++) {
      const prefix = `model.layers.${layer}`;
      const normed = rmsNorm(hidden, get(weights, `${prefix}.input_layernorm.weight`), dims.rmsNormEps);
      const q = linear(weights, normed, `${prefix}.self_attn.q_proj`, numHeads * headDim, attentionBias);
      const k = linear(weights, normed, `${prefix}.self_attn.k_proj`, numKvHeads * headDim, attentionBias);
      const v = linear(weights, normed, `${prefix}.self_attn.v_proj`, numKvHeads * headDim, attentionBias);
      for (let head = 0; head < numHeads; head++) rope(q, head * headDim, headDim, position, inv);
      for (let head = 0; head < numKvHeads; head++) rope(k, head * headDim, headDim, position, inv);
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
      const attentionOut = linear(weights, attended, `${prefix}.self_attn.o_proj`, h, attentionBias);
      hidden = hidden.map((value, index) => value + (attentionOut[index] ?? 0));
      const normed2 = rmsNorm(hidden, get(weights, `${prefix}.post_attention_layernorm.weight`), dims.rmsNormEps);
      const gate = linear(weights, normed2, `${prefix}.mlp.gate_proj`, m, mlpBias);
      const up = linear(weights, normed2, `${prefix}.mlp.up_proj`, m, mlpBias);
      const activated = gate.map((value, index) => activation(act, value) * (up[index] ?? 0));
      const mlpOut = linear(weights, activated, `${prefix}.mlp.down_proj`, h, mlpBias);
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

/**
 * Greedy continuation of `promptIds` for `count` tokens, with per-step logits. As HF's generate:
 * the prompt is one forward call (its length is the call length of every prompt token), then one
 * call per new token.
 */
export function referenceGreedy(dims: LlamaDims, weights: Weights, promptIds: readonly number[], count: number): { tokens: number[]; logits: Float64Array[] } {
  const model = new ReferenceLlama(dims, weights);
  let logits: Float64Array = new Float64Array(0);
  for (const id of promptIds) logits = model.step(id, promptIds.length);
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
