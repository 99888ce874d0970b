/**
 * The LLaMA decoder built for speed ("fast" graph), next to the standard-opset one in build-llama-decoder.ts.
 * It uses ONNX Runtime's fused contrib ops (domain com.microsoft), computes in float16 (or float32 for CPU
 * parity) and reads and writes a preallocated KV buffer in place. I/O (docs/engine.md, "The fast graph"):
 *   input_ids int64 [batch, sequence] (embeds variant: inputs_embeds [batch, sequence, hidden], compute type)
 *   seqlens_k int32 [batch]            per row: valid cached tokens after this step, minus 1
 *   total_sequence_length int32 []     the largest (seqlens_k + 1) of the batch
 *   past_key_values.L.key|value        [batch, kv_heads, max_cache_length, head_dim], compute type
 *   -> logits float32 [batch, vocab]   the last position of each row only
 *   -> present.L.key|value             same shape as past: bind the same buffer and the cache updates in place
 * Per layer: SimplifiedLayerNormalization (first) or SkipSimplifiedLayerNormalization (the residual add fused
 * in), one packed QKV MatMul, GroupQueryAttention with rotary inside (cos/sin caches as initializers), o_proj,
 * SkipSimplifiedLayerNormalization, one packed gate/up MatMul, act(gate) × up, down_proj. The last layer keeps only
 * the last position after attention, so o_proj, the MLP, the final norm and lm_head run on one row per sequence.
 * It honours what LlamaDims carries (attention and MLP biases, hidden_act, linear and llama3 RoPE scaling baked
 * into the cos/sin caches) and refuses by name what GroupQueryAttention's fixed caches cannot express (dynamic NTK).
 */
import { GraphBuilder } from "../onnx/graph-builder";
import { BYTES_PER_ELEMENT, type OnnxModel, type TensorBytes } from "../onnx/onnx-model";
import { bytesOf, float32ToFloat16Array } from "../onnx/tensor-bytes";
import type { WeightSource } from "./build-llama-decoder";
import { type LlamaActivation, type LlamaDims, llamaWeightShapes } from "./llama-dims";
import { ropeInverseFrequencies } from "./rope-frequencies";

/** Element type the fast graph computes in; its weights and KV cache are stored in it too. */
export type FastComputeType = "float16" | "float32";

export interface FastDecoderOptions {
  dims: LlamaDims;
  /** Weight bytes by HF name in `x @ W` layout, already in `computeType`. */
  weights: WeightSource;
  computeType: FastComputeType;
  /** "embeds": the decoder takes `inputs_embeds` (see buildFastEmbedTokens). */
  inputMode?: "ids" | "embeds";
}

export const FAST_DIM_NAMES = { batch: "batch_size", sequence: "sequence_length", cache: "max_cache_length" } as const;

const MICROSOFT = "com.microsoft";
const ONNX_FLOAT = 1;

function readBytes(data: TensorBytes): Uint8Array {
  return typeof data === "function" ? data() : data;
}

/**
 * Concatenates [in, out_i] matrices along the output axis (row by row) into one [in, Σ out_i] matrix, read
 * lazily so a converter still holds only one layer's pieces at a time.
 */
function packColumns(parts: readonly { data: TensorBytes; columns: number }[], rows: number, elementBytes: number): () => Uint8Array {
  return () => {
    const sources = parts.map((part) => ({ bytes: readBytes(part.data), rowBytes: part.columns * elementBytes }));
    const rowBytes = sources.reduce((sum, source) => sum + source.rowBytes, 0);
    const packed = new Uint8Array(rows * rowBytes);
    for (let row = 0; row < rows; row++) {
      let offset = row * rowBytes;
      for (const source of sources) {
        packed.set(source.bytes.subarray(row * source.rowBytes, (row + 1) * source.rowBytes), offset);
        offset += source.rowBytes;
      }
    }
    return packed;
  };
}

/**
 * cos/sin caches [maxPositions, headDim / 2] for GroupQueryAttention's rotary (rotate-half layout), with the
 * model's RoPE scaling applied to the frequencies (plain, linear and llama3 scaling do not depend on the length).
 */
export function rotaryCaches(dims: LlamaDims, computeType: FastComputeType): { cos: Uint8Array; sin: Uint8Array } {
  const half = dims.headDim / 2;
  const frequencies = ropeInverseFrequencies(dims);
  const cos = new Float32Array(dims.maxPositionEmbeddings * half);
  const sin = new Float32Array(dims.maxPositionEmbeddings * half);
  for (let position = 0; position < dims.maxPositionEmbeddings; position++) {
    for (let index = 0; index < half; index++) {
      const angle = position * (frequencies[index] ?? 0);
      cos[position * half + index] = Math.cos(angle);
      sin[position * half + index] = Math.sin(angle);
    }
  }
  const encode = (values: Float32Array): Uint8Array => (computeType === "float32" ? bytesOf(values) : bytesOf(float32ToFloat16Array(values)));
  return { cos: encode(cos), sin: encode(sin) };
}

interface FastContext {
  g: GraphBuilder;
  dims: LlamaDims;
  computeType: FastComputeType;
  weight: (name: string) => string;
  packed: (name: string, parts: readonly string[]) => string;
  seqlensK: string;
  totalSequenceLength: string;
  cosCache: string;
  sinCache: string;
}

/** Registers each initializer once, when the graph first uses it. */
function weightRegistry(g: GraphBuilder, options: FastDecoderOptions): Pick<FastContext, "weight" | "packed"> {
  const shapes = llamaWeightShapes(options.dims);
  const registered = new Set<string>();
  const shapeOf = (name: string): number[] => {
    const shape = shapes.get(name);
    if (!shape) throw new Error(`unknown weight ${name}`);
    return shape;
  };
  const weight = (name: string): string => {
    if (registered.has(name)) return name;
    const shape = shapeOf(name);
    g.initializer(name, options.computeType, shape, options.weights(name, shape));
    registered.add(name);
    return name;
  };
  const packed = (name: string, parts: readonly string[]): string => {
    if (registered.has(name)) return name;
    const shapesOfParts = parts.map(shapeOf);
    // A bias [out] packs like a one-row matrix.
    const isBias = shapesOfParts[0]?.length === 1;
    const rows = isBias ? 1 : (shapesOfParts[0]?.[0] ?? 0);
    const columns = shapesOfParts.map((shape) => shape.at(-1) ?? 0);
    const data = packColumns(
      parts.map((part, index) => ({ data: options.weights(part, shapesOfParts[index] ?? []), columns: columns[index] ?? 0 })),
      rows,
      BYTES_PER_ELEMENT[options.computeType],
    );
    const width = columns.reduce((sum, value) => sum + value, 0);
    g.initializer(name, options.computeType, isBias ? [width] : [rows, width], data);
    registered.add(name);
    return name;
  };
  return { weight, packed };
}

/** Attention of one layer; returns its output [B, S, heads·headDim] and writes present.L.* in place. */
function attention(context: FastContext, layer: number, normed: string): string {
  const { g, dims } = context;
  const prefix = `model.layers.${layer}.self_attn`;
  const qkv = packedLinear(context, normed, `${prefix}.qkv_proj`, [`${prefix}.q_proj`, `${prefix}.k_proj`, `${prefix}.v_proj`], dims.attentionBias === true);
  const [output] = g.ops(
    "GroupQueryAttention",
    [
      qkv,
      "",
      "",
      `past_key_values.${layer}.key`,
      `past_key_values.${layer}.value`,
      context.seqlensK,
      context.totalSequenceLength,
      context.cosCache,
      context.sinCache,
    ],
    {
      domain: MICROSOFT,
      attributes: { num_heads: dims.numHeads, kv_num_heads: dims.numKvHeads, do_rotary: 1, rotary_interleaved: 0 },
      outputs: [`/layers.${layer}/attention_output`, `present.${layer}.key`, `present.${layer}.value`],
    },
  );
  if (output === undefined) throw new Error("GroupQueryAttention produced no output");
  return output;
}

/** x @ W (+ b) for HF Linears packed side by side (their weights and biases concatenated along the output axis). */
function packedLinear(context: FastContext, x: string, name: string, parts: readonly string[], bias: boolean): string {
  const { g } = context;
  const product = g.op("MatMul", [
    x,
    context.packed(
      `${name}.weight`,
      parts.map((part) => `${part}.weight`),
    ),
  ]);
  if (!bias) return product;
  return g.op("Add", [
    product,
    context.packed(
      `${name}.bias`,
      parts.map((part) => `${part}.bias`),
    ),
  ]);
}

/** x @ W (+ b): one HF Linear. */
function linear(context: FastContext, x: string, name: string, bias: boolean): string {
  const product = context.g.op("MatMul", [x, context.weight(`${name}.weight`)]);
  return bias ? context.g.op("Add", [product, context.weight(`${name}.bias`)]) : product;
}

/** HF's ACT2FN for LLaMA's activations, as single ops where ONNX Runtime has them (its contrib Gelu family). */
function activate(g: GraphBuilder, x: string, activation: LlamaActivation): string {
  switch (activation) {
    case "silu":
      return g.op("Mul", [x, g.op("Sigmoid", [x])]);
    case "gelu":
      return g.op("Gelu", [x], { domain: MICROSOFT });
    case "gelu_tanh":
      return g.op("FastGelu", [x], { domain: MICROSOFT });
    case "quick_gelu":
      return g.op("QuickGelu", [x], { domain: MICROSOFT, attributes: { alpha: 1.702 } });
    case "relu":
      return g.op("Relu", [x]);
  }
}

function mlp(context: FastContext, layer: number, normed: string): string {
  const { g, dims } = context;
  const prefix = `model.layers.${layer}.mlp`;
  const bias = dims.mlpBias === true;
  const gateUp = packedLinear(context, normed, `${prefix}.gate_up_proj`, [`${prefix}.gate_proj`, `${prefix}.up_proj`], bias);
  const [gate, up] = g.ops("Split", [gateUp, g.constInt64([dims.intermediateSize, dims.intermediateSize])], { attributes: { axis: -1 }, outputs: 2 });
  if (!gate || !up) throw new Error("Split produced no outputs");
  const activated = g.op("Mul", [activate(g, gate, dims.hiddenAct ?? "silu"), up]);
  return linear(context, activated, `${prefix}.down_proj`, bias);
}

/** SkipSimplifiedLayerNormalization: returns [normed(x + skip), x + skip]. */
function skipNorm(context: FastContext, x: string, skip: string, weightName: string): { normed: string; sum: string } {
  const { g } = context;
  const outputs = g.ops("SkipSimplifiedLayerNormalization", [x, skip, context.weight(weightName)], {
    domain: MICROSOFT,
    attributes: { epsilon: { float: context.dims.rmsNormEps } },
    outputs: 4,
  });
  const [normed, , , sum] = outputs;
  if (!normed || !sum) throw new Error("SkipSimplifiedLayerNormalization produced no outputs");
  return { normed, sum };
}

/** Keeps the last position of [B, S, X] as [B, X]. */
function lastPosition(g: GraphBuilder, value: string): string {
  return g.op("Gather", [value, g.constInt64([-1], [])], { attributes: { axis: 1 } });
}

/**
 * Runs every layer. `pending` is the residual stream as (x, skip) not yet added: the add happens inside the
 * next SkipSimplifiedLayerNormalization. Returns the final (x, skip) pair at the last position, [B, hidden] each.
 */
function layers(context: FastContext, embeddings: string): { x: string; skip: string } {
  const { g, dims } = context;
  let residual = embeddings;
  let normed = g.op("SimplifiedLayerNormalization", [embeddings, context.weight("model.layers.0.input_layernorm.weight")], {
    attributes: { epsilon: { float: dims.rmsNormEps }, axis: -1, stash_type: 1 },
  });
  let pending: { x: string; skip: string } = { x: embeddings, skip: "" };
  for (let layer = 0; layer < dims.numLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    const isLast = layer === dims.numLayers - 1;
    const result = g.inScope(`layers.${layer}`, () => {
      let attended = attention(context, layer, normed);
      let stream = residual;
      if (isLast) {
        attended = lastPosition(g, attended);
        stream = lastPosition(g, stream);
      }
      const projected = linear(context, attended, `${prefix}.self_attn.o_proj`, dims.attentionBias === true);
      const post = skipNorm(context, projected, stream, `${prefix}.post_attention_layernorm.weight`);
      return { mlpOut: mlp(context, layer, post.normed), stream: post.sum };
    });
    pending = { x: result.mlpOut, skip: result.stream };
    if (!isLast) {
      const next = skipNorm(context, pending.x, pending.skip, `model.layers.${layer + 1}.input_layernorm.weight`);
      normed = next.normed;
      residual = next.sum;
    }
  }
  return pending;
}

/** Throws, naming the field, for what the fast graph cannot compute exactly (the standard graph can: --graph standard). */
export function refuseUnsupported(dims: LlamaDims): void {
  // GroupQueryAttention's fused rotary (CPU and CUDA) takes head sizes that are multiples of 16 only.
  if (dims.headDim % 16 !== 0)
    throw new Error(
      `the fast graph needs head_dim to be a multiple of 16 (GroupQueryAttention's rotary); this model's is ${dims.headDim}: use --graph standard`,
    );
  if (dims.ropeScaling?.type === "dynamic") {
    throw new Error(
      "the fast graph cannot do dynamic NTK RoPE scaling (rope_scaling type dynamic): its base changes with each call's length, and GroupQueryAttention rotates from fixed cos/sin caches; use --graph standard",
    );
  }
}

/** Build the fast decoder graph. */
export function buildFastDecoder(options: FastDecoderOptions): OnnxModel {
  const { dims, computeType } = options;
  refuseUnsupported(dims);
  const { batch, sequence, cache } = FAST_DIM_NAMES;
  const g = new GraphBuilder("llama-decoder-fast");
  const registry = weightRegistry(g, options);
  let embeddings: string;
  if (options.inputMode === "embeds") {
    embeddings = g.input("inputs_embeds", computeType, [batch, sequence, dims.hiddenSize]);
  } else {
    const inputIds = g.input("input_ids", "int64", [batch, sequence]);
    embeddings = g.op("Gather", [registry.weight("model.embed_tokens.weight"), inputIds], { attributes: { axis: 0 } });
  }
  const seqlensK = g.input("seqlens_k", "int32", [batch]);
  const totalSequenceLength = g.input("total_sequence_length", "int32", []);
  for (let layer = 0; layer < dims.numLayers; layer++) {
    for (const kind of ["key", "value"]) g.input(`past_key_values.${layer}.${kind}`, computeType, [batch, dims.numKvHeads, cache, dims.headDim]);
  }
  const caches = rotaryCaches(dims, computeType);
  const half = dims.headDim / 2;
  const cosCache = g.initializer("rotary.cos_cache", computeType, [dims.maxPositionEmbeddings, half], caches.cos);
  const sinCache = g.initializer("rotary.sin_cache", computeType, [dims.maxPositionEmbeddings, half], caches.sin);
  const context: FastContext = { g, dims, computeType, ...registry, seqlensK, totalSequenceLength, cosCache, sinCache };

  const final = layers(context, embeddings);
  const normed = skipNorm(context, final.x, final.skip, "model.norm.weight").normed;
  const logits = dims.tieWordEmbeddings
    ? g.op("Gemm", [normed, registry.weight("model.embed_tokens.weight")], { attributes: { transB: 1 } })
    : g.op("MatMul", [normed, registry.weight("lm_head.weight")]);
  g.output(computeType === "float32" ? logits : g.op("Cast", [logits], { attributes: { to: ONNX_FLOAT } }), "logits", "float32", [batch, dims.vocabSize]);
  for (let layer = 0; layer < dims.numLayers; layer++) {
    for (const kind of ["key", "value"])
      g.output(`present.${layer}.${kind}`, `present.${layer}.${kind}`, computeType, [batch, dims.numKvHeads, cache, dims.headDim]);
  }
  return g.toModel({ "": 17, [MICROSOFT]: 1 });
}

/** The embeds variant's `embed_tokens` graph: input_ids -> inputs_embeds in the compute type (a Gather). */
export function buildFastEmbedTokens(options: Pick<FastDecoderOptions, "dims" | "weights" | "computeType">): OnnxModel {
  const { dims, computeType } = options;
  const g = new GraphBuilder("embed-tokens-fast");
  const shape = [dims.vocabSize, dims.hiddenSize];
  g.initializer("model.embed_tokens.weight", computeType, shape, options.weights("model.embed_tokens.weight", shape));
  const inputIds = g.input("input_ids", "int64", [FAST_DIM_NAMES.batch, FAST_DIM_NAMES.sequence]);
  const embeds = g.op("Gather", ["model.embed_tokens.weight", inputIds], { attributes: { axis: 0 } });
  g.output(embeds, "inputs_embeds", computeType, [FAST_DIM_NAMES.batch, FAST_DIM_NAMES.sequence, dims.hiddenSize]);
  return g.toModel();
}
