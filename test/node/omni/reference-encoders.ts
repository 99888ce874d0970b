// Test oracle: float64 forward passes of the vision tower (+ resampler) and the audio tower, written directly from
// the architecture description (loops, no graph), so the ONNX graphs are checked against an independent computation.
import { whisperSinusoids } from "../../../container/omni/build-audio-encoder";
import type { AudioDims, VisionDims } from "../../../container/omni/omni-dims";
import type { AudioInputs } from "../../../container/omni/audio-preprocess";
import type { VisionInputs } from "../../../container/omni/image-preprocess";

type Weights = ReadonlyMap<string, Float32Array>;
type Matrix = Float64Array[]; // rows

function w(weights: Weights, name: string): Float32Array {
  const value = weights.get(name);
  if (value === undefined) throw new Error(`missing ${name}`);
  return value;
}

function linear(rows: Matrix, weight: Float32Array, bias: Float32Array | null, outSize: number): Matrix {
  return rows.map((row) => {
    const out = new Float64Array(outSize);
    for (let j = 0; j < outSize; j++) out[j] = bias === null ? 0 : bias[j]!;
    for (let i = 0; i < row.length; i++) {
      const value = row[i]!;
      for (let j = 0; j < outSize; j++) out[j]! += value * weight[i * outSize + j]!;
    }
    return out;
  });
}

function layerNorm(rows: Matrix, weight: Float32Array, bias: Float32Array, eps: number): Matrix {
  return rows.map((row) => {
    const mean = row.reduce((s, v) => s + v, 0) / row.length;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
    return row.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * weight[i]! + bias[i]!);
  });
}

function erf(x: number): number {
  // Series / continued fraction accurate to ~1e-15 is overkill; a 1e-12 series suffices for |x| < 6.
  if (Math.abs(x) > 6) return Math.sign(x);
  let sum = x;
  let term = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const geluErf = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

function attention(q: Matrix, k: Matrix, v: Matrix, heads: number): Matrix {
  const width = q[0]!.length;
  const d = width / heads;
  const scores = new Float64Array(k.length);
  return q.map((qRow) => {
    const out = new Float64Array(width);
    for (let h = 0; h < heads; h++) {
      let max = -Infinity;
      for (let t = 0; t < k.length; t++) {
        const kRow = k[t]!;
        let dot = 0;
        for (let i = 0; i < d; i++) dot += qRow[h * d + i]! * kRow[h * d + i]!;
        scores[t] = dot / Math.sqrt(d);
        if (scores[t]! > max) max = scores[t]!;
      }
      let total = 0;
      for (let t = 0; t < k.length; t++) {
        scores[t] = Math.exp(scores[t]! - max);
        total += scores[t]!;
      }
      for (let t = 0; t < k.length; t++) {
        const weight = scores[t]! / total;
        const vRow = v[t]!;
        for (let i = 0; i < d; i++) out[h * d + i]! += weight * vRow[h * d + i]!;
      }
    }
    return out;
  });
}

const add = (a: Matrix, b: Matrix): Matrix => a.map((row, r) => row.map((v, i) => v + b[r]![i]!));

/** image_features for one slice of `inputs`: [queries][outputSize]. */
export function referenceVisionSlice(weights: Weights, dims: VisionDims, inputs: VisionInputs, slice: number): Matrix {
  const { patchesHigh, patchesWide } = inputs.slices[slice]!;
  const patch = dims.patchSize;
  const count = patchesHigh * patchesWide;
  const rowLength = inputs.maxPatches * patch;
  const conv = w(weights, "vpm.embeddings.patch_embedding.weight");
  const convBias = w(weights, "vpm.embeddings.patch_embedding.bias");
  const table = w(weights, "vpm.embeddings.position_embedding.weight");
  const D = dims.hiddenSize;
  let x: Matrix = Array.from({ length: count }, (_, p) => {
    const out = new Float64Array(D);
    const position = Number(inputs.patchPositionIds[slice * inputs.maxPatches + p]);
    for (let d = 0; d < D; d++) {
      let sum = convBias[d]! + table[position * D + d]!;
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < patch; y++)
          for (let xx = 0; xx < patch; xx++)
            sum +=
              inputs.pixelValues[slice * 3 * patch * rowLength + (c * patch + y) * rowLength + p * patch + xx]! * conv[((d * 3 + c) * patch + y) * patch + xx]!;
      out[d] = sum;
    }
    return out;
  });
  for (let layer = 0; layer < dims.numLayers; layer++) {
    const p = `vpm.encoder.layers.${layer}`;
    const n = layerNorm(x, w(weights, `${p}.layer_norm1.weight`), w(weights, `${p}.layer_norm1.bias`), dims.layerNormEps);
    const proj = (name: string, rows: Matrix) => linear(rows, w(weights, `${p}.self_attn.${name}.weight`), w(weights, `${p}.self_attn.${name}.bias`), D);
    x = add(x, proj("out_proj", attention(proj("q_proj", n), proj("k_proj", n), proj("v_proj", n), dims.numHeads)));
    const n2 = layerNorm(x, w(weights, `${p}.layer_norm2.weight`), w(weights, `${p}.layer_norm2.bias`), dims.layerNormEps);
    const hidden = linear(n2, w(weights, `${p}.mlp.fc1.weight`), w(weights, `${p}.mlp.fc1.bias`), dims.intermediateSize).map((r) => r.map(geluTanh));
    x = add(x, linear(hidden, w(weights, `${p}.mlp.fc2.weight`), w(weights, `${p}.mlp.fc2.bias`), D));
  }
  x = layerNorm(x, w(weights, "vpm.post_layernorm.weight"), w(weights, "vpm.post_layernorm.bias"), dims.layerNormEps);
  const H = dims.outputSize;
  const kv = layerNorm(
    linear(x, w(weights, "resampler.kv_proj.weight"), null, H),
    w(weights, "resampler.ln_kv.weight"),
    w(weights, "resampler.ln_kv.bias"),
    1e-6,
  );
  const quarter = H / 4;
  const positions: Matrix = Array.from({ length: count }, (_, p) => {
    const column = p % patchesWide;
    const row = Math.floor(p / patchesWide);
    const out = new Float64Array(H);
    for (let i = 0; i < quarter; i++) {
      const omega = 1 / 10000 ** (i / quarter);
      out[i] = Math.sin(column * omega);
      out[quarter + i] = Math.cos(column * omega);
      out[2 * quarter + i] = Math.sin(row * omega);
      out[3 * quarter + i] = Math.cos(row * omega);
    }
    return out;
  });
  const queryRows: Matrix = Array.from({ length: dims.queryCount }, (_, i) => Float64Array.from(w(weights, "resampler.query").subarray(i * H, (i + 1) * H)));
  const q = layerNorm(queryRows, w(weights, "resampler.ln_q.weight"), w(weights, "resampler.ln_q.bias"), 1e-6);
  const proj = (name: string, rows: Matrix) => linear(rows, w(weights, `resampler.attn.${name}.weight`), w(weights, `resampler.attn.${name}.bias`), H);
  const attended = proj("out_proj", attention(proj("q_proj", q), proj("k_proj", add(kv, positions)), proj("v_proj", kv), dims.resamplerHeads));
  const normed = layerNorm(attended, w(weights, "resampler.ln_post.weight"), w(weights, "resampler.ln_post.bias"), 1e-6);
  return linear(normed, w(weights, "resampler.proj"), null, H);
}

function conv1d(input: Matrix, weight: Float32Array, bias: Float32Array, outChannels: number, stride: number): Matrix {
  // input: [channels][time]
  const inChannels = input.length;
  const time = input[0]!.length;
  const outTime = Math.floor((time + 2 - 3) / stride) + 1;
  return Array.from({ length: outChannels }, (_, o) => {
    const out = new Float64Array(outTime);
    for (let t = 0; t < outTime; t++) {
      let sum = bias[o]!;
      for (let c = 0; c < inChannels; c++)
        for (let k = 0; k < 3; k++) {
          const index = t * stride + k - 1;
          if (index >= 0 && index < time) sum += weight[(o * inChannels + c) * 3 + k]! * input[c]![index]!;
        }
      out[t] = geluErf(sum);
    }
    return out;
  });
}

/** audio_embeds for one clip: [audioTokens + 2][outputSize]. */
export function referenceAudio(weights: Weights, dims: AudioDims, inputs: AudioInputs): Matrix {
  const frames = inputs.encoderFrames;
  const mel: Matrix = Array.from({ length: dims.melBins }, (_, m) => Float64Array.from(inputs.inputFeatures.subarray(m * frames, (m + 1) * frames)));
  const D = dims.hiddenSize;
  const c1 = conv1d(mel, w(weights, "audio.conv1.weight"), w(weights, "audio.conv1.bias"), D, 1);
  const c2 = conv1d(c1, w(weights, "audio.conv2.weight"), w(weights, "audio.conv2.bias"), D, 2);
  const length = c2[0]!.length;
  const sinusoids = whisperSinusoids(dims.maxPositions, D);
  let x: Matrix = Array.from({ length }, (_, t) => Float64Array.from({ length: D }, (_, d) => c2[d]![t]! + sinusoids[t * D + d]!));
  for (let layer = 0; layer < dims.numLayers; layer++) {
    const p = `audio.blocks.${layer}`;
    const n = layerNorm(x, w(weights, `${p}.attn_ln.weight`), w(weights, `${p}.attn_ln.bias`), 1e-5);
    const proj = (name: string, rows: Matrix, biased = true) =>
      linear(rows, w(weights, `${p}.attn.${name}.weight`), biased ? w(weights, `${p}.attn.${name}.bias`) : null, D);
    x = add(x, proj("out", attention(proj("query", n), proj("key", n, false), proj("value", n), dims.numHeads)));
    const n2 = layerNorm(x, w(weights, `${p}.mlp_ln.weight`), w(weights, `${p}.mlp_ln.bias`), 1e-5);
    const hidden = linear(n2, w(weights, `${p}.mlp.0.weight`), w(weights, `${p}.mlp.0.bias`), 4 * D).map((r) => r.map(geluErf));
    x = add(x, linear(hidden, w(weights, `${p}.mlp.2.weight`), w(weights, `${p}.mlp.2.bias`), D));
  }
  const pooled: Matrix = Array.from({ length: Math.floor(length / 2) }, (_, t) => x[2 * t]!.map((v, d) => (v + x[2 * t + 1]![d]!) / 2));
  const normed = layerNorm(pooled, w(weights, "audio.ln_post.weight"), w(weights, "audio.ln_post.bias"), 1e-5);
  const projected = linear(normed, w(weights, "audio.proj.weight"), w(weights, "audio.proj.bias"), dims.outputSize);
  const bosEos = w(weights, "audio.audio_bos_eos_token.weight");
  const H = dims.outputSize;
  return [Float64Array.from(bosEos.subarray(0, H)), ...projected, Float64Array.from(bosEos.subarray(H, 2 * H))];
}
