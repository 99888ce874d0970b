/**
 * The audio tower as one ONNX graph, Whisper-large-v3 encoder as Megrez-3B-Omni uses it: conv1d (k3) + GELU,
 * conv1d (k3, stride 2) + GELU, sinusoidal positions, pre-LN residual blocks (key without bias), AvgPool1d(2, 2),
 * LayerNorm, Linear to the LLM's hidden size, and the learned audio BOS/EOS embeddings around the result:
 *   input_features [1, mels, 2·T] → audio_embeds [1, T/2 + 2, hidden]  (one audio clip per run).
 */
import { GraphBuilder } from "../onnx/graph-builder";
import type { OnnxModel } from "../onnx/onnx-model";
import { bytesOf } from "../onnx/tensor-bytes";
import { attention, geluErf, layerNorm, linear, type WeightLookup } from "./encoder-graph-ops";
import { omniWeightShapes, type AudioDims } from "./omni-dims";
import { weightLookup, type VisionEncoderOptions } from "./build-vision-encoder";

/** Whisper's `sinusoids(length, channels)`: [sin(t·s_i) | cos(t·s_i)], s_i = exp(−i·ln(10000)/(channels/2 − 1)). */
export function whisperSinusoids(length: number, channels: number): Float32Array {
  const half = channels / 2;
  const increment = Math.log(10000) / (half - 1);
  const table = new Float32Array(length * channels);
  for (let t = 0; t < length; t++) {
    for (let i = 0; i < half; i++) {
      const angle = t * Math.exp(-increment * i);
      table[t * channels + i] = Math.sin(angle);
      table[t * channels + half + i] = Math.cos(angle);
    }
  }
  return table;
}

function audioBlock(g: GraphBuilder, weight: WeightLookup, dims: AudioDims, layer: number, x: string): string {
  const p = `audio.blocks.${layer}`;
  const normed = layerNorm(g, x, weight(`${p}.attn_ln.weight`), weight(`${p}.attn_ln.bias`), 1e-5);
  const project = (name: string, input: string, biased = true) =>
    linear(g, input, weight(`${p}.attn.${name}.weight`), biased ? weight(`${p}.attn.${name}.bias`) : null);
  const context = attention(
    g,
    { query: project("query", normed), key: project("key", normed, false), value: project("value", normed) },
    dims.numHeads,
    dims.hiddenSize / dims.numHeads,
    null,
  );
  const residual = g.op("Add", [x, project("out", context)]);
  const normed2 = layerNorm(g, residual, weight(`${p}.mlp_ln.weight`), weight(`${p}.mlp_ln.bias`), 1e-5);
  const hidden = geluErf(g, linear(g, normed2, weight(`${p}.mlp.0.weight`), weight(`${p}.mlp.0.bias`)));
  return g.op("Add", [residual, linear(g, hidden, weight(`${p}.mlp.2.weight`), weight(`${p}.mlp.2.bias`))]);
}

export function buildAudioEncoder(options: VisionEncoderOptions): OnnxModel {
  const dims = options.audio;
  const g = new GraphBuilder("audio-encoder");
  const weight = weightLookup(g, omniWeightShapes(options), options.weights);
  const features = g.input("input_features", "float32", [1, dims.melBins, "frames"]);
  const conv = (input: string, name: string, stride: number) =>
    geluErf(
      g,
      g.op("Conv", [input, weight(`audio.${name}.weight`), weight(`audio.${name}.bias`)], {
        attributes: { kernel_shape: [3], pads: [1, 1], strides: [stride] },
      }),
    );
  const convolved = conv(conv(features, "conv1", 1), "conv2", 2);
  let hidden = g.op("Transpose", [convolved], { attributes: { perm: [0, 2, 1] } });
  const length = g.op("Slice", [g.op("Shape", [hidden]), g.constInt64([1]), g.constInt64([2])]);
  const table = g.initializer(
    "audio.positional_embedding",
    "float32",
    [dims.maxPositions, dims.hiddenSize],
    bytesOf(whisperSinusoids(dims.maxPositions, dims.hiddenSize)),
  );
  hidden = g.op("Add", [hidden, g.op("Slice", [table, g.constInt64([0]), length, g.constInt64([0])])]);
  for (let layer = 0; layer < dims.numLayers; layer++) hidden = g.inScope(`audio.${layer}`, () => audioBlock(g, weight, dims, layer, hidden));
  const pooled = g.op("AveragePool", [g.op("Transpose", [hidden], { attributes: { perm: [0, 2, 1] } })], { attributes: { kernel_shape: [2], strides: [2] } });
  const normed = layerNorm(
    g,
    g.op("Transpose", [pooled], { attributes: { perm: [0, 2, 1] } }),
    weight("audio.ln_post.weight"),
    weight("audio.ln_post.bias"),
    1e-5,
  );
  const projected = linear(g, normed, weight("audio.proj.weight"), weight("audio.proj.bias"));
  const bosEos = g.op("Unsqueeze", [weight("audio.audio_bos_eos_token.weight"), g.constInt64([0])]);
  const [bos, eos] = g.ops("Split", [bosEos], { attributes: { axis: 1 }, outputs: 2 });
  if (bos === undefined || eos === undefined) throw new Error("Split produced no outputs");
  g.output(g.op("Concat", [bos, projected, eos], { attributes: { axis: 1 } }), "audio_embeds", "float32", [1, "audio_tokens", dims.outputSize]);
  return g.toModel();
}
