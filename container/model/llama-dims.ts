/**
 * LLaMA architecture sizes, read from a Hugging Face `config.json` (zod-validated) or set
 * directly for generated models. One type drives the graph builder, the reference forward
 * pass, the converter and the engine's KV-cache shapes. This is the one place that reads a
 * config: every field either changes what we build (and is honoured), provably changes nothing
 * at inference (and is listed as such), or is refused by name, so nothing converts silently wrong.
 */
import { z } from "zod";

/** Activation of the gated MLP (`down(act(gate(x)) * up(x))`), normalized from HF's `hidden_act` names. */
export type LlamaActivation = "silu" | "gelu" | "gelu_tanh" | "quick_gelu" | "relu";

/** RoPE frequency scaling (`rope_scaling` / `rope_parameters`); none means plain RoPE. */
export type RopeScaling =
  | { type: "linear"; factor: number }
  /** HF's dynamic NTK: the base grows with the sequence length once it passes `originalMaxPositions`. */
  | { type: "dynamic"; factor: number; originalMaxPositions: number }
  | { type: "llama3"; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

export interface LlamaDims {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  ropeTheta: number;
  rmsNormEps: number;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  /** `attention_bias`: q/k/v/o projections carry a bias (default false). */
  attentionBias?: boolean;
  /** `mlp_bias`: gate/up/down projections carry a bias (default false). */
  mlpBias?: boolean;
  /** `hidden_act` (default silu). */
  hiddenAct?: LlamaActivation;
  /** `rope_scaling` / `rope_parameters` (default none). */
  ropeScaling?: RopeScaling | null;
}

/** Megrez-3B-Instruct's language model (HF config.json; the Omni model's LLM has the same). */
export const MEGREZ_3B_DIMS: LlamaDims = {
  vocabSize: 122880,
  hiddenSize: 2560,
  intermediateSize: 7168,
  numLayers: 32,
  numHeads: 40,
  numKvHeads: 10,
  headDim: 64,
  ropeTheta: 5_000_000,
  rmsNormEps: 1e-5,
  maxPositionEmbeddings: 4096,
  tieWordEmbeddings: false,
};

const HF_ACTIVATION_NAME: Record<LlamaActivation, string> = {
  silu: "silu",
  gelu: "gelu",
  gelu_tanh: "gelu_pytorch_tanh",
  quick_gelu: "quick_gelu",
  relu: "relu",
};

function ropeScalingJson(scaling: RopeScaling): Record<string, unknown> {
  if (scaling.type === "linear") return { rope_type: "linear", factor: scaling.factor };
  if (scaling.type === "dynamic") return { rope_type: "dynamic", factor: scaling.factor };
  return {
    rope_type: "llama3",
    factor: scaling.factor,
    low_freq_factor: scaling.lowFreqFactor,
    high_freq_factor: scaling.highFreqFactor,
    original_max_position_embeddings: scaling.originalMaxPositions,
  };
}

/** The inverse of dimsFromConfig: a HF LlamaForCausalLM config.json (transformers 4 layout) for these sizes. */
export function llamaConfigJson(dims: LlamaDims, ids: { eosTokenId: number; padTokenId?: number; torchDtype: string }): Record<string, unknown> {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    vocab_size: dims.vocabSize,
    hidden_size: dims.hiddenSize,
    intermediate_size: dims.intermediateSize,
    num_hidden_layers: dims.numLayers,
    num_attention_heads: dims.numHeads,
    num_key_value_heads: dims.numKvHeads,
    head_dim: dims.headDim,
    hidden_act: HF_ACTIVATION_NAME[dims.hiddenAct ?? "silu"],
    attention_bias: dims.attentionBias ?? false,
    mlp_bias: dims.mlpBias ?? false,
    rope_theta: dims.ropeTheta,
    rope_scaling: dims.ropeScaling ? ropeScalingJson(dims.ropeScaling) : null,
    rms_norm_eps: dims.rmsNormEps,
    max_position_embeddings: dims.maxPositionEmbeddings,
    tie_word_embeddings: dims.tieWordEmbeddings,
    bos_token_id: null,
    eos_token_id: ids.eosTokenId,
    ...(ids.padTokenId === undefined ? {} : { pad_token_id: ids.padTokenId }),
    torch_dtype: ids.torchDtype,
  };
}

const positiveInt = z.number().int().positive();
const tokenIds = z.union([z.number().int(), z.array(z.number().int())]).nullish();

/** The fields of a HF LlamaForCausalLM config.json that we read (zod strips the rest; see unknownConfigFields). */
export const llamaConfigSchema = z.object({
  model_type: z.string(),
  architectures: z.array(z.string()).nullish(),
  vocab_size: positiveInt,
  hidden_size: positiveInt,
  intermediate_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  num_key_value_heads: positiveInt.nullish(),
  head_dim: positiveInt.nullish(),
  hidden_act: z.string().default("silu"),
  attention_bias: z.boolean().default(false),
  mlp_bias: z.boolean().default(false),
  /** transformers < 5; 10000 is LlamaConfig's default when neither this nor rope_parameters says otherwise. */
  rope_theta: z.number().positive().nullish(),
  rope_scaling: z.record(z.string(), z.unknown()).nullish(),
  /** transformers >= 5: `{rope_type, rope_theta, ...scaling fields}` replaces rope_theta + rope_scaling. */
  rope_parameters: z.record(z.string(), z.unknown()).nullish(),
  partial_rotary_factor: z.number().nullish(),
  rms_norm_eps: z.number().positive().default(1e-6),
  max_position_embeddings: positiveInt.default(2048),
  tie_word_embeddings: z.boolean().default(false),
  eos_token_id: tokenIds,
  bos_token_id: tokenIds,
  pad_token_id: tokenIds,
  auto_map: z.record(z.string(), z.unknown()).nullish(),
  /** Written by our demo generator; absent in real checkpoints. */
  megrez_edge: z.object({ demo: z.boolean() }).partial().optional(),
});

export type LlamaConfigJson = z.infer<typeof llamaConfigSchema>;

/** Fields that change what we build: each is read by dimsFromConfig. */
const UNDERSTOOD_FIELDS = Object.keys(llamaConfigSchema.shape);

/**
 * Fields that cannot change the forward pass at inference, with the reason: stored dtype (the
 * converter reads each tensor's real dtype), bookkeeping, training-only settings, and
 * `pretraining_tp` (HF slices the same matmuls into tp pieces: the same sums).
 */
const INERT_FIELDS = ["torch_dtype", "dtype", "transformers_version", "_name_or_path", "use_cache", "initializer_range", "attention_dropout", "pretraining_tp"];

/**
 * Top-level config fields we neither read nor know to be inert, e.g. `quantization_config` or
 * `sliding_window`. `extra` names fields the caller reads itself (the Omni converter's towers).
 */
export function unknownConfigFields(raw: unknown, extra: readonly string[] = []): string[] {
  if (typeof raw !== "object" || raw === null) return [];
  const known = new Set([...UNDERSTOOD_FIELDS, ...INERT_FIELDS, ...extra]);
  return Object.keys(raw).filter((field) => !known.has(field));
}

/** Throws naming every config field that we do not understand. */
export function refuseUnknownConfigFields(raw: unknown, extra: readonly string[] = []): void {
  const unknown = unknownConfigFields(raw, extra);
  if (unknown.length > 0) {
    throw new Error(
      `config.json: field${unknown.length > 1 ? "s" : ""} ${unknown.map((field) => `"${field}"`).join(", ")} not understood by the converter; ` +
        "it cannot tell whether they change the model, so it refuses rather than convert it wrong",
    );
  }
}

const ACTIVATIONS: Record<string, LlamaActivation> = {
  silu: "silu",
  swish: "silu",
  gelu: "gelu",
  gelu_new: "gelu_tanh",
  gelu_pytorch_tanh: "gelu_tanh",
  gelu_fast: "gelu_tanh",
  gelu_accurate: "gelu_tanh",
  quick_gelu: "quick_gelu",
  relu: "relu",
};

function activationOf(name: string): LlamaActivation {
  const activation = ACTIVATIONS[name];
  if (!activation) throw new Error(`hidden_act "${name}" is not supported (supported: ${Object.keys(ACTIVATIONS).join(", ")})`);
  return activation;
}

function positiveNumber(record: Record<string, unknown>, field: string, where: string): number {
  const value = record[field];
  if (typeof value !== "number" || !(value > 0)) throw new Error(`${where}.${field} must be a positive number (got ${JSON.stringify(value)})`);
  return value;
}

function refuseExtraKeys(record: Record<string, unknown>, allowed: readonly string[], where: string, kind: string): void {
  const extra = Object.keys(record).filter((key) => !allowed.includes(key));
  if (extra.length > 0) throw new Error(`${where}: ${extra.map((key) => `"${key}"`).join(", ")} not understood for rope type "${kind}"`);
}

/** Reads rope_scaling (transformers 4) or rope_parameters (transformers 5) into a theta and a scaling. */
function ropeOf(config: LlamaConfigJson): { theta: number; scaling: RopeScaling | null } {
  const where = config.rope_parameters ? "rope_parameters" : "rope_scaling";
  const record = config.rope_parameters ?? config.rope_scaling ?? {};
  if (config.rope_parameters && config.rope_scaling)
    throw new Error("config.json has both rope_parameters and rope_scaling: it is ambiguous which one applies");
  const nestedTheta = record.rope_theta;
  if (nestedTheta !== undefined && typeof nestedTheta !== "number") throw new Error(`${where}.rope_theta must be a number`);
  if (typeof nestedTheta === "number" && typeof config.rope_theta === "number" && nestedTheta !== config.rope_theta) {
    throw new Error(`rope_theta (${config.rope_theta}) and ${where}.rope_theta (${nestedTheta}) disagree`);
  }
  const theta = nestedTheta ?? config.rope_theta ?? 10000;
  if (!(theta > 0)) throw new Error(`rope_theta must be positive (got ${theta})`);
  const partial = record.partial_rotary_factor ?? config.partial_rotary_factor;
  if (partial !== undefined && partial !== null && partial !== 1)
    throw new Error(`partial_rotary_factor ${String(partial)} is not supported (LLaMA rotates the whole head)`);
  const kind = String(record.rope_type ?? record.type ?? "default");
  const common = ["rope_type", "type", "rope_theta", "partial_rotary_factor"];
  switch (kind) {
    case "default":
      refuseExtraKeys(record, common, where, kind);
      return { theta, scaling: null };
    case "linear":
      refuseExtraKeys(record, [...common, "factor"], where, kind);
      return { theta, scaling: { type: "linear", factor: positiveNumber(record, "factor", where) } };
    case "dynamic": {
      refuseExtraKeys(record, [...common, "factor", "original_max_position_embeddings"], where, kind);
      const original = record.original_max_position_embeddings;
      // transformers 4 scales from max_position_embeddings and ignores this field; a different value would be read differently by different versions.
      if (original !== undefined && original !== config.max_position_embeddings) {
        throw new Error(
          `${where}.original_max_position_embeddings (${String(original)}) differs from max_position_embeddings: transformers versions disagree on which one dynamic RoPE uses`,
        );
      }
      return { theta, scaling: { type: "dynamic", factor: positiveNumber(record, "factor", where), originalMaxPositions: config.max_position_embeddings } };
    }
    case "llama3":
      refuseExtraKeys(record, [...common, "factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"], where, kind);
      return {
        theta,
        scaling: {
          type: "llama3",
          factor: positiveNumber(record, "factor", where),
          lowFreqFactor: positiveNumber(record, "low_freq_factor", where),
          highFreqFactor: positiveNumber(record, "high_freq_factor", where),
          originalMaxPositions: positiveNumber(record, "original_max_position_embeddings", where),
        },
      };
    default:
      throw new Error(`${where} rope type ${JSON.stringify(kind)} is not supported (supported: default, linear, dynamic, llama3)`);
  }
}

export function dimsFromConfig(config: LlamaConfigJson): LlamaDims {
  if (config.model_type !== "llama") throw new Error(`model_type "${config.model_type}" is not supported (expected llama)`);
  const architectures = config.architectures ?? ["LlamaForCausalLM"];
  if (architectures.length !== 1 || architectures[0] !== "LlamaForCausalLM") {
    throw new Error(`architectures ${JSON.stringify(architectures)} is not supported (expected ["LlamaForCausalLM"])`);
  }
  const customModel = Object.keys(config.auto_map ?? {}).filter((key) => key.startsWith("AutoModel"));
  if (customModel.length > 0) throw new Error(`auto_map.${customModel[0]} points at custom modelling code, which the converter cannot read`);
  const numKvHeads = config.num_key_value_heads ?? config.num_attention_heads;
  if (config.num_attention_heads % numKvHeads !== 0) {
    throw new Error(`num_attention_heads (${config.num_attention_heads}) must be a multiple of num_key_value_heads (${numKvHeads})`);
  }
  const headDim = config.head_dim ?? config.hidden_size / config.num_attention_heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new Error(`head_dim ${headDim} must be an even integer`);
  const rope = ropeOf(config);
  return {
    vocabSize: config.vocab_size,
    hiddenSize: config.hidden_size,
    intermediateSize: config.intermediate_size,
    numLayers: config.num_hidden_layers,
    numHeads: config.num_attention_heads,
    numKvHeads,
    headDim,
    ropeTheta: rope.theta,
    rmsNormEps: config.rms_norm_eps,
    maxPositionEmbeddings: config.max_position_embeddings,
    tieWordEmbeddings: config.tie_word_embeddings,
    attentionBias: config.attention_bias,
    mlpBias: config.mlp_bias,
    hiddenAct: activationOf(config.hidden_act),
    ropeScaling: rope.scaling,
  };
}

/** Names of every weight, in our `x @ W` ([in, out]) layout, with their shapes. */
export function llamaWeightShapes(dims: LlamaDims): Map<string, number[]> {
  const { hiddenSize: h, intermediateSize: m, numHeads, numKvHeads, headDim, vocabSize: v } = dims;
  const shapes = new Map<string, number[]>();
  shapes.set("model.embed_tokens.weight", [v, h]);
  for (let layer = 0; layer < dims.numLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    const projections: [string, number, number, boolean][] = [
      ["self_attn.q_proj", h, numHeads * headDim, dims.attentionBias === true],
      ["self_attn.k_proj", h, numKvHeads * headDim, dims.attentionBias === true],
      ["self_attn.v_proj", h, numKvHeads * headDim, dims.attentionBias === true],
      ["self_attn.o_proj", numHeads * headDim, h, dims.attentionBias === true],
      ["mlp.gate_proj", h, m, dims.mlpBias === true],
      ["mlp.up_proj", h, m, dims.mlpBias === true],
      ["mlp.down_proj", m, h, dims.mlpBias === true],
    ];
    shapes.set(`${prefix}.input_layernorm.weight`, [h]);
    for (const [name, inputs, outputs, bias] of projections) {
      // Order as before biases existed (norm, q k v o, norm, gate up down): seeded random weights stay the same.
      if (name === "mlp.gate_proj") shapes.set(`${prefix}.post_attention_layernorm.weight`, [h]);
      shapes.set(`${prefix}.${name}.weight`, [inputs, outputs]);
      if (bias) shapes.set(`${prefix}.${name}.bias`, [outputs]);
    }
  }
  shapes.set("model.norm.weight", [h]);
  if (!dims.tieWordEmbeddings) shapes.set("lm_head.weight", [h, v]);
  return shapes;
}
