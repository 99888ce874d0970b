/**
 * LLaMA architecture sizes, read from a Hugging Face `config.json` (zod-validated) or set
 * directly for generated models. One type drives the graph builder, the reference forward
 * pass, the converter and the engine's KV-cache shapes.
 */
import { z } from "zod";

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

/** The inverse of dimsFromConfig: a HF LlamaForCausalLM config.json for these sizes. */
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
    hidden_act: "silu",
    rope_theta: dims.ropeTheta,
    rope_scaling: null,
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

/** The subset of a HF LlamaForCausalLM config.json that we read. */
export const llamaConfigSchema = z.object({
  model_type: z.string(),
  vocab_size: positiveInt,
  hidden_size: positiveInt,
  intermediate_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  num_key_value_heads: positiveInt.optional(),
  head_dim: positiveInt.optional(),
  rope_theta: z.number().positive().default(10000),
  rms_norm_eps: z.number().positive().default(1e-6),
  max_position_embeddings: positiveInt.default(4096),
  tie_word_embeddings: z.boolean().default(false),
  eos_token_id: z.union([z.number().int(), z.array(z.number().int())]).nullish(),
  bos_token_id: z.number().int().nullish(),
  pad_token_id: z.number().int().nullish(),
  rope_scaling: z.unknown().nullish(),
  /** Written by our demo generator; absent in real checkpoints. */
  megrez_edge: z.object({ demo: z.boolean() }).partial().optional(),
});

export type LlamaConfigJson = z.infer<typeof llamaConfigSchema>;

export function dimsFromConfig(config: LlamaConfigJson): LlamaDims {
  const numKvHeads = config.num_key_value_heads ?? config.num_attention_heads;
  if (config.num_attention_heads % numKvHeads !== 0) {
    throw new Error(`num_attention_heads (${config.num_attention_heads}) must be a multiple of num_key_value_heads (${numKvHeads})`);
  }
  if (config.rope_scaling !== null && config.rope_scaling !== undefined) {
    throw new Error("rope_scaling is not supported (Megrez-3B uses none)");
  }
  return {
    vocabSize: config.vocab_size,
    hiddenSize: config.hidden_size,
    intermediateSize: config.intermediate_size,
    numLayers: config.num_hidden_layers,
    numHeads: config.num_attention_heads,
    numKvHeads,
    headDim: config.head_dim ?? config.hidden_size / config.num_attention_heads,
    ropeTheta: config.rope_theta,
    rmsNormEps: config.rms_norm_eps,
    maxPositionEmbeddings: config.max_position_embeddings,
    tieWordEmbeddings: config.tie_word_embeddings,
  };
}

/** Names of every weight, in our `x @ W` ([in, out]) layout, with their shapes. */
export function llamaWeightShapes(dims: LlamaDims): Map<string, number[]> {
  const { hiddenSize: h, intermediateSize: m, numHeads, numKvHeads, headDim, vocabSize: v } = dims;
  const shapes = new Map<string, number[]>();
  shapes.set("model.embed_tokens.weight", [v, h]);
  for (let layer = 0; layer < dims.numLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    shapes.set(`${prefix}.input_layernorm.weight`, [h]);
    shapes.set(`${prefix}.self_attn.q_proj.weight`, [h, numHeads * headDim]);
    shapes.set(`${prefix}.self_attn.k_proj.weight`, [h, numKvHeads * headDim]);
    shapes.set(`${prefix}.self_attn.v_proj.weight`, [h, numKvHeads * headDim]);
    shapes.set(`${prefix}.self_attn.o_proj.weight`, [numHeads * headDim, h]);
    shapes.set(`${prefix}.post_attention_layernorm.weight`, [h]);
    shapes.set(`${prefix}.mlp.gate_proj.weight`, [h, m]);
    shapes.set(`${prefix}.mlp.up_proj.weight`, [h, m]);
    shapes.set(`${prefix}.mlp.down_proj.weight`, [m, h]);
  }
  shapes.set("model.norm.weight", [h]);
  if (!dims.tieWordEmbeddings) shapes.set("lm_head.weight", [h, v]);
  return shapes;
}
