/**
 * LLaMA decoder as an ONNX graph with the Optimum / transformers.js I/O names:
 * `input_ids` (or `inputs_embeds`), `attention_mask`, `position_ids`, `past_key_values.N.key/value`
 * -> `logits`, `present.N.key/value`, plus optional `num_logits_to_keep`.
 * Standard opset-17 ops only, so it runs on every ORT build (CPU, CUDA, wasm).
 * The attention mask is built in-graph from `attention_mask` (causal by absolute index),
 * so left-padded batches give the same tokens per row as each prompt alone.
 */
import { GraphBuilder } from "../onnx/graph-builder";
import type { OnnxDataType, OnnxModel, TensorBytes } from "../onnx/onnx-model";
import { bytesOf } from "../onnx/tensor-bytes";
import { type LlamaActivation, type LlamaDims, llamaWeightShapes } from "./llama-dims";
import { ropeInverseFrequencies } from "./rope-frequencies";

/** Supplies a weight's raw bytes (in `x @ W` layout) by name; thunks let converters stream. */
export type WeightSource = (name: string, shape: readonly number[]) => TensorBytes;

export interface LlamaDecoderOptions {
  dims: LlamaDims;
  weights: WeightSource;
  /** Storage type of weights; compute stays float32 (half weights are Cast at load). */
  weightType?: "float32" | "float16";
  /** "embeds": the decoder takes `inputs_embeds` and a separate embed graph is built. */
  inputMode?: "ids" | "embeds";
  /** Add the `num_logits_to_keep` int64 scalar input (HF semantics: 0 keeps all positions). */
  logitsToKeep?: boolean;
  /**
   * Type of `past_key_values.*` / `present.*`. float16 halves the cache's memory and what moves
   * between host and device each step; attention still computes in float32 on the rounded cache.
   */
  kvType?: "float32" | "float16";
}

/** ONNX TensorProto data type codes used by Cast. */
const ONNX_FLOAT = 1;
const ONNX_FLOAT16 = 10;

const MASK_MIN = -3.4028234663852886e38;

export const DECODER_DIM_NAMES = {
  batch: "batch_size",
  sequence: "sequence_length",
  past: "past_sequence_length",
  total: "total_sequence_length",
} as const;

/**
 * Written as Pow(x, 2) → ReduceMean → Add(eps) → Sqrt → Div → Mul: the exact pattern ONNX Runtime's
 * graph optimizer fuses into one SimplifiedLayerNormalization kernel (Mul(x, x) is not matched).
 */
function rmsNorm(g: GraphBuilder, x: string, weight: string, eps: number): string {
  const squared = g.op("Pow", [x, g.constFloat32([2], [])]);
  const meanSquare = g.op("ReduceMean", [squared], { attributes: { axes: [-1], keepdims: 1 } });
  const denominator = g.op("Sqrt", [g.op("Add", [meanSquare, g.constFloat32([eps], [])])]);
  return g.op("Mul", [g.op("Div", [x, denominator]), weight]);
}

function rotateHalf(g: GraphBuilder, x: string): string {
  const [first, second] = g.ops("Split", [x], { attributes: { axis: -1 }, outputs: 2 });
  if (!first || !second) throw new Error("Split produced no outputs");
  return g.op("Concat", [g.op("Neg", [second]), first], { attributes: { axis: -1 } });
}

function applyRope(g: GraphBuilder, x: string, cos: string, sin: string): string {
  return g.op("Add", [g.op("Mul", [x, cos]), g.op("Mul", [rotateHalf(g, x), sin])]);
}

/**
 * Inverse frequencies as a graph value: a constant [half] for plain/linear/llama3 RoPE; for dynamic
 * NTK a [B, 1, half] tensor whose base follows each row's length (its largest position + 1), as HF
 * computes it for one sequence per forward call.
 */
function inverseFrequencies(g: GraphBuilder, positionIds: string, dims: LlamaDims): string {
  const scaling = dims.ropeScaling;
  if (scaling?.type !== "dynamic") return g.constFloat32(ropeInverseFrequencies(dims));
  const half = dims.headDim / 2;
  const lastPosition = g.op("ReduceMax", [positionIds], { attributes: { axes: [1], keepdims: 1 } });
  const length = g.op("Max", [
    g.op("Add", [g.op("Cast", [lastPosition], { attributes: { to: ONNX_FLOAT } }), g.constFloat32([1], [])]),
    g.constFloat32([scaling.originalMaxPositions], []),
  ]);
  const ratio = g.op("Sub", [
    g.op("Mul", [length, g.constFloat32([scaling.factor / scaling.originalMaxPositions], [])]),
    g.constFloat32([scaling.factor - 1], []),
  ]);
  const logBase = g.op("Add", [
    g.op("Mul", [g.op("Log", [ratio]), g.constFloat32([dims.headDim / (dims.headDim - 2)], [])]),
    g.constFloat32([Math.log(dims.ropeTheta)], []),
  ]);
  const exponents = g.constFloat32(Array.from({ length: half }, (_, index) => (-2 * index) / dims.headDim));
  return g.op("Exp", [g.op("Mul", [g.op("Unsqueeze", [logBase, g.constInt64([2])]), exponents])]);
}

/** cos/sin tables [B, 1, S, headDim] from position_ids, shared by all layers. */
function ropeTables(g: GraphBuilder, positionIds: string, dims: LlamaDims): { cos: string; sin: string } {
  const positions = g.op("Unsqueeze", [g.op("Cast", [positionIds], { attributes: { to: ONNX_FLOAT } }), g.constInt64([2])]);
  const freqs = g.op("Mul", [positions, inverseFrequencies(g, positionIds, dims)]);
  const angles = g.op("Concat", [freqs, freqs], { attributes: { axis: -1 } });
  const unsqueeze = (value: string): string => g.op("Unsqueeze", [value, g.constInt64([1])]);
  return { cos: unsqueeze(g.op("Cos", [angles])), sin: unsqueeze(g.op("Sin", [angles])) };
}

/** Additive mask [B, 1, S, T]: 0 where query i may see key j (j <= T-S+i and not padding). */
function attentionBias(g: GraphBuilder, attentionMask: string, sequenceSource: string): string {
  const scalarDim = (value: string, axis: number): string => g.op("Gather", [g.op("Shape", [value]), g.constInt64([axis], [])], { attributes: { axis: 0 } });
  const total = scalarDim(attentionMask, 1);
  const sequence = scalarDim(sequenceSource, 1);
  const one = g.constInt64([1], []);
  const queryPositions = g.op("Range", [g.op("Sub", [total, sequence]), total, one]);
  const keyPositions = g.op("Range", [g.constInt64([0], []), total, one]);
  const causal = g.op("LessOrEqual", [g.op("Unsqueeze", [keyPositions, g.constInt64([0])]), g.op("Unsqueeze", [queryPositions, g.constInt64([1])])]);
  const notPadding = g.op("Unsqueeze", [g.op("Cast", [attentionMask], { attributes: { to: 9 } }), g.constInt64([1, 2])]);
  const allowed = g.op("And", [causal, notPadding]);
  return g.op("Where", [allowed, g.constFloat32([0], []), g.constFloat32([MASK_MIN], [])]);
}

interface LayerContext {
  kvType: "float32" | "float16";
  g: GraphBuilder;
  dims: LlamaDims;
  weight: (name: string) => string;
  cos: string;
  sin: string;
  bias: string;
}

/** present = past ++ new along the sequence axis, stored in kvType; returns it as float32 for attention. */
function appendToCache(context: LayerContext, name: string, fresh: string): string {
  const { g, kvType } = context;
  const stored = kvType === "float32" ? fresh : g.op("Cast", [fresh], { attributes: { to: ONNX_FLOAT16 } });
  const present = g.op("Concat", [`past_key_values.${name}`, stored], { attributes: { axis: 2 }, outputs: [`present.${name}`] });
  return kvType === "float32" ? present : g.op("Cast", [present], { attributes: { to: ONNX_FLOAT } });
}

function attention(context: LayerContext, layer: number, normed: string): string {
  const { g, dims } = context;
  const { numHeads, numKvHeads, headDim } = dims;
  const prefix = `model.layers.${layer}.self_attn`;
  const heads = (projection: string, count: number): string =>
    g.op(
      "Transpose",
      [g.op("Reshape", [linear(context, normed, `${prefix}.${projection}`, dims.attentionBias === true), g.constInt64([0, 0, count, headDim])])],
      {
        attributes: { perm: [0, 2, 1, 3] },
      },
    );
  const query = applyRope(g, heads("q_proj", numHeads), context.cos, context.sin);
  const key = applyRope(g, heads("k_proj", numKvHeads), context.cos, context.sin);
  const value = heads("v_proj", numKvHeads);
  const presentKey = appendToCache(context, `${layer}.key`, key);
  const presentValue = appendToCache(context, `${layer}.value`, value);
  // GQA without repeating KV: fold the query heads of each KV group into the sequence axis.
  const groupedQuery = g.op("Reshape", [query, g.constInt64([0, numKvHeads, -1, headDim])]);
  const keyT = g.op("Transpose", [presentKey], { attributes: { perm: [0, 1, 3, 2] } });
  const groupedScores = g.op("MatMul", [groupedQuery, keyT]);
  const scores = g.op("Reshape", [groupedScores, g.constInt64([0, numHeads, -1, 0])]);
  const scaled = g.op("Add", [g.op("Mul", [scores, g.constFloat32([1 / Math.sqrt(headDim)], [])]), context.bias]);
  const probabilities = g.op("Softmax", [scaled], { attributes: { axis: -1 } });
  const groupedProbabilities = g.op("Reshape", [probabilities, g.constInt64([0, numKvHeads, -1, 0])]);
  const groupedContext = g.op("MatMul", [groupedProbabilities, presentValue]);
  const headsContext = g.op("Reshape", [groupedContext, g.constInt64([0, numHeads, -1, headDim])]);
  const merged = g.op("Reshape", [g.op("Transpose", [headsContext], { attributes: { perm: [0, 2, 1, 3] } }), g.constInt64([0, 0, numHeads * headDim])]);
  return linear(context, merged, `${prefix}.o_proj`, dims.attentionBias === true);
}

/** x @ W (+ b): a HF Linear, its weight stored as [in, out]. */
function linear(context: LayerContext, x: string, name: string, bias: boolean): string {
  const product = context.g.op("MatMul", [x, context.weight(`${name}.weight`)]);
  return bias ? context.g.op("Add", [product, context.weight(`${name}.bias`)]) : product;
}

/** HF's ACT2FN for the activations LLaMA configs use, from opset-17 ops (Erf/Tanh forms ORT fuses into Gelu). */
function activate(g: GraphBuilder, x: string, activation: LlamaActivation): string {
  switch (activation) {
    case "silu":
      return g.op("Mul", [x, g.op("Sigmoid", [x])]);
    case "gelu": {
      const erf = g.op("Erf", [g.op("Mul", [x, g.constFloat32([Math.SQRT1_2], [])])]);
      return g.op("Mul", [g.op("Mul", [x, g.constFloat32([0.5], [])]), g.op("Add", [erf, g.constFloat32([1], [])])]);
    }
    case "gelu_tanh": {
      const cubic = g.op("Mul", [g.op("Mul", [g.op("Mul", [x, x]), x]), g.constFloat32([0.044715], [])]);
      const inner = g.op("Mul", [g.op("Add", [x, cubic]), g.constFloat32([Math.sqrt(2 / Math.PI)], [])]);
      return g.op("Mul", [g.op("Mul", [x, g.constFloat32([0.5], [])]), g.op("Add", [g.op("Tanh", [inner]), g.constFloat32([1], [])])]);
    }
    case "quick_gelu":
      return g.op("Mul", [x, g.op("Sigmoid", [g.op("Mul", [x, g.constFloat32([1.702], [])])])]);
    case "relu":
      return g.op("Relu", [x]);
  }
}

function mlp(context: LayerContext, layer: number, normed: string): string {
  const { g, dims } = context;
  const prefix = `model.layers.${layer}.mlp`;
  const bias = dims.mlpBias === true;
  const gate = linear(context, normed, `${prefix}.gate_proj`, bias);
  const up = linear(context, normed, `${prefix}.up_proj`, bias);
  const activated = g.op("Mul", [activate(g, gate, dims.hiddenAct ?? "silu"), up]);
  return linear(context, activated, `${prefix}.down_proj`, bias);
}

function decoderLayer(context: LayerContext, layer: number, hidden: string): string {
  const { g, dims, weight } = context;
  return g.inScope(`layers.${layer}`, () => {
    const prefix = `model.layers.${layer}`;
    const attended = g.op("Add", [hidden, attention(context, layer, rmsNorm(g, hidden, weight(`${prefix}.input_layernorm.weight`), dims.rmsNormEps))]);
    return g.op("Add", [attended, mlp(context, layer, rmsNorm(g, attended, weight(`${prefix}.post_attention_layernorm.weight`), dims.rmsNormEps))]);
  });
}

/** Registers initializers lazily: a weight is only added when the graph uses it. */
function weightRegistry(g: GraphBuilder, options: LlamaDecoderOptions): (name: string) => string {
  const shapes = llamaWeightShapes(options.dims);
  const storage: OnnxDataType = options.weightType ?? "float32";
  const registered = new Map<string, string>();
  return (name) => {
    const existing = registered.get(name);
    if (existing) return existing;
    const shape = shapes.get(name);
    if (!shape) throw new Error(`unknown weight ${name}`);
    g.initializer(name, storage, shape, options.weights(name, shape));
    const usable = storage === "float32" ? name : g.op("Cast", [name], { attributes: { to: ONNX_FLOAT } });
    registered.set(name, usable);
    return usable;
  };
}

/** Build the decoder graph. */
export function buildLlamaDecoder(options: LlamaDecoderOptions): OnnxModel {
  const { dims } = options;
  const { batch, sequence, past, total } = DECODER_DIM_NAMES;
  const g = new GraphBuilder("llama-decoder");
  const weight = weightRegistry(g, options);
  let hidden: string;
  let sequenceSource: string;
  if (options.inputMode === "embeds") {
    hidden = g.input("inputs_embeds", "float32", [batch, sequence, dims.hiddenSize]);
    sequenceSource = hidden;
  } else {
    const inputIds = g.input("input_ids", "int64", [batch, sequence]);
    hidden = g.op("Gather", [weight("model.embed_tokens.weight"), inputIds], { attributes: { axis: 0 } });
    sequenceSource = inputIds;
  }
  const attentionMask = g.input("attention_mask", "int64", [batch, total]);
  const positionIds = g.input("position_ids", "int64", [batch, sequence]);
  const kvType = options.kvType ?? "float32";
  for (let layer = 0; layer < dims.numLayers; layer++) {
    g.input(`past_key_values.${layer}.key`, kvType, [batch, dims.numKvHeads, past, dims.headDim]);
    g.input(`past_key_values.${layer}.value`, kvType, [batch, dims.numKvHeads, past, dims.headDim]);
  }
  const logitsToKeep = options.logitsToKeep ? g.input("num_logits_to_keep", "int64", []) : null;

  const { cos, sin } = g.inScope("rotary", () => ropeTables(g, positionIds, dims));
  const bias = g.inScope("mask", () => attentionBias(g, attentionMask, sequenceSource));
  const context: LayerContext = { kvType, g, dims, weight, cos, sin, bias };
  for (let layer = 0; layer < dims.numLayers; layer++) hidden = decoderLayer(context, layer, hidden);

  let normed = rmsNorm(g, hidden, weight("model.norm.weight"), dims.rmsNormEps);
  if (logitsToKeep) {
    const start = g.op("Neg", [g.op("Unsqueeze", [logitsToKeep, g.constInt64([0])])]);
    normed = g.op("Slice", [normed, start, g.constInt64([Number.MAX_SAFE_INTEGER]), g.constInt64([1])]);
  }
  const head = dims.tieWordEmbeddings ? g.op("Transpose", [weight("model.embed_tokens.weight")], { attributes: { perm: [1, 0] } }) : weight("lm_head.weight");
  g.output(g.op("MatMul", [normed, head]), "logits", "float32", [batch, options.logitsToKeep ? "logits_length" : sequence, dims.vocabSize]);
  for (let layer = 0; layer < dims.numLayers; layer++) {
    g.output(`present.${layer}.key`, `present.${layer}.key`, kvType, [batch, dims.numKvHeads, total, dims.headDim]);
    g.output(`present.${layer}.value`, `present.${layer}.value`, kvType, [batch, dims.numKvHeads, total, dims.headDim]);
  }
  return g.toModel();
}

/** The `embed_tokens` graph of the embeds variant: input_ids -> inputs_embeds. */
export function buildEmbedTokens(options: Pick<LlamaDecoderOptions, "dims" | "weights" | "weightType">): OnnxModel {
  const { dims } = options;
  const g = new GraphBuilder("embed-tokens");
  const storage = options.weightType ?? "float32";
  const shape = [dims.vocabSize, dims.hiddenSize];
  g.initializer("model.embed_tokens.weight", storage, shape, options.weights("model.embed_tokens.weight", shape));
  const inputIds = g.input("input_ids", "int64", [DECODER_DIM_NAMES.batch, DECODER_DIM_NAMES.sequence]);
  let embeds = g.op("Gather", ["model.embed_tokens.weight", inputIds], { attributes: { axis: 0 } });
  if (storage !== "float32") embeds = g.op("Cast", [embeds], { attributes: { to: ONNX_FLOAT } });
  g.output(embeds, "inputs_embeds", "float32", [DECODER_DIM_NAMES.batch, DECODER_DIM_NAMES.sequence, dims.hiddenSize]);
  return g.toModel();
}

/** Convenience for in-memory float32 weights. */
export function float32WeightSource(weights: ReadonlyMap<string, Float32Array>): WeightSource {
  return (name) => {
    const values = weights.get(name);
    if (!values) throw new Error(`missing weight ${name}`);
    return bytesOf(values);
  };
}
