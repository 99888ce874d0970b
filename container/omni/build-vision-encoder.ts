/**
 * The vision tower as one ONNX graph: Idefics2/SigLIP encoder (14×14 patch convolution over the strip layout,
 * bucketed position embeddings, pre-LN blocks with masked self-attention and tanh-GELU MLP, post-LN) followed by the
 * MiniCPM-V resampler (kv projection, LN, 64 learned queries cross-attending with 2-D sin-cos positions added to the
 * keys, LN, output projection). One row per slice:
 *   pixel_values [S, 3, P, L·P], patch_attention_mask [S, L], patch_position_ids [S, L], resampler_grid [S, L, 2]
 *   → image_features [S, queries, hidden].
 */
import { GraphBuilder } from "../onnx/graph-builder";
import type { OnnxModel } from "../onnx/onnx-model";
import { attention, geluTanh, keyPaddingBias, layerNorm, linear, sinCos2d, type WeightLookup } from "./encoder-graph-ops";
import type { OmniWeightSource } from "./omni-weights";
import { omniWeightShapes, type AudioDims, type VisionDims } from "./omni-dims";

export function weightLookup(g: GraphBuilder, shapes: Map<string, number[]>, weights: OmniWeightSource): WeightLookup {
  const registered = new Set<string>();
  return (name) => {
    if (!registered.has(name)) {
      const shape = shapes.get(name);
      if (shape === undefined) throw new Error(`unknown weight ${name}`);
      g.initializer(name, "float32", shape, weights(name, shape));
      registered.add(name);
    }
    return name;
  };
}

function visionBlock(g: GraphBuilder, weight: WeightLookup, dims: VisionDims, layer: number, x: string, bias: string): string {
  const p = `vpm.encoder.layers.${layer}`;
  const headDim = dims.hiddenSize / dims.numHeads;
  const normed = layerNorm(g, x, weight(`${p}.layer_norm1.weight`), weight(`${p}.layer_norm1.bias`), dims.layerNormEps);
  const project = (name: string, input: string) => linear(g, input, weight(`${p}.self_attn.${name}.weight`), weight(`${p}.self_attn.${name}.bias`));
  const context = attention(
    g,
    { query: project("q_proj", normed), key: project("k_proj", normed), value: project("v_proj", normed) },
    dims.numHeads,
    headDim,
    bias,
  );
  const residual = g.op("Add", [x, project("out_proj", context)]);
  const normed2 = layerNorm(g, residual, weight(`${p}.layer_norm2.weight`), weight(`${p}.layer_norm2.bias`), dims.layerNormEps);
  const hidden = geluTanh(g, linear(g, normed2, weight(`${p}.mlp.fc1.weight`), weight(`${p}.mlp.fc1.bias`)));
  return g.op("Add", [residual, linear(g, hidden, weight(`${p}.mlp.fc2.weight`), weight(`${p}.mlp.fc2.bias`))]);
}

function resampler(g: GraphBuilder, weight: WeightLookup, dims: VisionDims, features: string, grid: string, bias: string): string {
  const width = dims.outputSize;
  const eps = 1e-6;
  const keys = layerNorm(
    g,
    linear(g, features, weight("resampler.kv_proj.weight"), null),
    weight("resampler.ln_kv.weight"),
    weight("resampler.ln_kv.bias"),
    eps,
  );
  const queries = layerNorm(g, weight("resampler.query"), weight("resampler.ln_q.weight"), weight("resampler.ln_q.bias"), eps);
  const project = (name: string, input: string) => linear(g, input, weight(`resampler.attn.${name}.weight`), weight(`resampler.attn.${name}.bias`));
  // Queries are shared by every slice: [Q, H] → [1, Q, H] broadcasts against the per-slice keys.
  const query = g.op("Unsqueeze", [project("q_proj", queries), g.constInt64([0])]);
  const keyInput = g.op("Add", [keys, sinCos2d(g, grid, width)]);
  const sliceCount = g.op("Slice", [g.op("Shape", [features]), g.constInt64([0]), g.constInt64([1])]);
  const expandedQuery = g.op("Expand", [query, g.op("Concat", [sliceCount, g.constInt64([1, 1])], { attributes: { axis: 0 } })]);
  const context = attention(
    g,
    { query: expandedQuery, key: project("k_proj", keyInput), value: project("v_proj", keys) },
    dims.resamplerHeads,
    width / dims.resamplerHeads,
    bias,
  );
  const out = project("out_proj", context);
  const normed = layerNorm(g, out, weight("resampler.ln_post.weight"), weight("resampler.ln_post.bias"), eps);
  return g.op("MatMul", [normed, weight("resampler.proj")]);
}

export type VisionEncoderOptions = { vision: VisionDims; audio: AudioDims; weights: OmniWeightSource };

export function buildVisionEncoder(options: VisionEncoderOptions): OnnxModel {
  const dims = options.vision;
  const g = new GraphBuilder("vision-encoder");
  const weight = weightLookup(g, omniWeightShapes(options), options.weights);
  const pixelValues = g.input("pixel_values", "float32", ["slices", 3, dims.patchSize, "strip_width"]);
  const mask = g.input("patch_attention_mask", "int64", ["slices", "patches"]);
  const positionIds = g.input("patch_position_ids", "int64", ["slices", "patches"]);
  const grid = g.input("resampler_grid", "float32", ["slices", "patches", 2]);

  const convolved = g.op("Conv", [pixelValues, weight("vpm.embeddings.patch_embedding.weight"), weight("vpm.embeddings.patch_embedding.bias")], {
    attributes: { kernel_shape: [dims.patchSize, dims.patchSize], strides: [dims.patchSize, dims.patchSize] },
  });
  const patches = g.op("Transpose", [g.op("Reshape", [convolved, g.constInt64([0, 0, -1])])], { attributes: { perm: [0, 2, 1] } });
  const positions = g.op("Gather", [weight("vpm.embeddings.position_embedding.weight"), positionIds], { attributes: { axis: 0 } });
  let hidden = g.op("Add", [patches, positions]);
  const bias = keyPaddingBias(g, mask);
  for (let layer = 0; layer < dims.numLayers; layer++) hidden = g.inScope(`vision.${layer}`, () => visionBlock(g, weight, dims, layer, hidden, bias));
  hidden = layerNorm(g, hidden, weight("vpm.post_layernorm.weight"), weight("vpm.post_layernorm.bias"), dims.layerNormEps);
  const features = g.inScope("resampler", () => resampler(g, weight, dims, hidden, grid, bias));
  g.output(features, "image_features", "float32", ["slices", dims.queryCount, dims.outputSize]);
  return g.toModel();
}
