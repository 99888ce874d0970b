/**
 * Sizes of the Omni towers, read from the `megrez_omni` section of a model folder's config.json (zod-validated) or
 * set directly for generated models. Megrez-3B-Omni: SigLIP-SO400M (1152 wide, 27 layers, 16 heads, patch 14,
 * 70×70 position buckets) with a 64-query resampler, and a Whisper-large-v3 encoder (128 mels, 1280 wide,
 * 32 layers, 20 heads, 1500 positions) projected to the LLM's hidden size.
 */
import { z } from "zod";

export type VisionDims = {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  patchSize: number;
  positionBuckets: number;
  layerNormEps: number;
  queryCount: number;
  resamplerHeads: number;
  /** The LLM's hidden size: the resampler's width and output size. */
  outputSize: number;
};

export type AudioDims = {
  melBins: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  maxPositions: number;
  outputSize: number;
};

/** Placeholder token strings; resolved to ids through the tokenizer's added tokens. */
export type OmniTokens = {
  imageStart: string;
  imageEnd: string;
  sliceStart: string;
  sliceEnd: string;
  imagePad: string;
  audioStart: string;
  audioEnd: string;
  audioPad: string;
};

export const OMNI_TOKENS: OmniTokens = {
  imageStart: "<|image_start|>",
  imageEnd: "<|image_end|>",
  sliceStart: "<|slice_start|>",
  sliceEnd: "<|slice_end|>",
  imagePad: "<|image_pad|>",
  audioStart: "<|audio_start|>",
  audioEnd: "<|audio_end|>",
  audioPad: "<|audio_pad|>",
};

export type OmniConfig = { vision: VisionDims; audio: AudioDims; tokens: OmniTokens; maxSliceNums: number; scaleResolution: number };

const positive = z.number().int().positive();

export const omniConfigSchema = z.object({
  vision: z.object({
    hidden_size: positive,
    num_layers: positive,
    num_heads: positive,
    intermediate_size: positive,
    patch_size: positive.default(14),
    position_buckets: positive.default(70),
    layer_norm_eps: z.number().positive().default(1e-6),
    query_num: positive.default(64),
    resampler_heads: positive,
  }),
  audio: z.object({
    n_mels: positive.default(128),
    n_state: positive,
    n_layer: positive,
    n_head: positive,
    n_ctx: positive.default(1500),
  }),
  tokens: z
    .object({
      image_start: z.string(),
      image_end: z.string(),
      slice_start: z.string(),
      slice_end: z.string(),
      image_pad: z.string(),
      audio_start: z.string(),
      audio_end: z.string(),
      audio_pad: z.string(),
    })
    .optional(),
  max_slice_nums: positive.default(9),
  scale_resolution: positive.default(448),
});

export type OmniConfigJson = z.infer<typeof omniConfigSchema>;

export type OmniTokensJson = NonNullable<OmniConfigJson["tokens"]>;

/** config.json's `tokens` (snake_case) as the engine's OmniTokens. */
export function omniTokensFromJson(tokens: OmniTokensJson): OmniTokens {
  return {
    imageStart: tokens.image_start,
    imageEnd: tokens.image_end,
    sliceStart: tokens.slice_start,
    sliceEnd: tokens.slice_end,
    imagePad: tokens.image_pad,
    audioStart: tokens.audio_start,
    audioEnd: tokens.audio_end,
    audioPad: tokens.audio_pad,
  };
}

export function omniConfigFromJson(json: OmniConfigJson, llmHiddenSize: number): OmniConfig {
  const tokens = json.tokens;
  return {
    vision: {
      hiddenSize: json.vision.hidden_size,
      numLayers: json.vision.num_layers,
      numHeads: json.vision.num_heads,
      intermediateSize: json.vision.intermediate_size,
      patchSize: json.vision.patch_size,
      positionBuckets: json.vision.position_buckets,
      layerNormEps: json.vision.layer_norm_eps,
      queryCount: json.vision.query_num,
      resamplerHeads: json.vision.resampler_heads,
      outputSize: llmHiddenSize,
    },
    audio: {
      melBins: json.audio.n_mels,
      hiddenSize: json.audio.n_state,
      numLayers: json.audio.n_layer,
      numHeads: json.audio.n_head,
      maxPositions: json.audio.n_ctx,
      outputSize: llmHiddenSize,
    },
    tokens: tokens === undefined ? OMNI_TOKENS : omniTokensFromJson(tokens),
    maxSliceNums: json.max_slice_nums,
    scaleResolution: json.scale_resolution,
  };
}

export function omniConfigToJson(config: OmniConfig): OmniConfigJson {
  const { vision, audio, tokens } = config;
  return {
    vision: {
      hidden_size: vision.hiddenSize,
      num_layers: vision.numLayers,
      num_heads: vision.numHeads,
      intermediate_size: vision.intermediateSize,
      patch_size: vision.patchSize,
      position_buckets: vision.positionBuckets,
      layer_norm_eps: vision.layerNormEps,
      query_num: vision.queryCount,
      resampler_heads: vision.resamplerHeads,
    },
    audio: { n_mels: audio.melBins, n_state: audio.hiddenSize, n_layer: audio.numLayers, n_head: audio.numHeads, n_ctx: audio.maxPositions },
    tokens: {
      image_start: tokens.imageStart,
      image_end: tokens.imageEnd,
      slice_start: tokens.sliceStart,
      slice_end: tokens.sliceEnd,
      image_pad: tokens.imagePad,
      audio_start: tokens.audioStart,
      audio_end: tokens.audioEnd,
      audio_pad: tokens.audioPad,
    },
    max_slice_nums: config.maxSliceNums,
    scale_resolution: config.scaleResolution,
  };
}

/** Every weight of both towers, HF-style names, Linear weights in `x @ W` ([in, out]) layout. */
export function omniWeightShapes(config: Pick<OmniConfig, "vision" | "audio">): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const v = config.vision;
  shapes.set("vpm.embeddings.patch_embedding.weight", [v.hiddenSize, 3, v.patchSize, v.patchSize]);
  shapes.set("vpm.embeddings.patch_embedding.bias", [v.hiddenSize]);
  shapes.set("vpm.embeddings.position_embedding.weight", [v.positionBuckets * v.positionBuckets, v.hiddenSize]);
  for (let layer = 0; layer < v.numLayers; layer++) {
    const prefix = `vpm.encoder.layers.${layer}`;
    for (const norm of ["layer_norm1", "layer_norm2"]) {
      shapes.set(`${prefix}.${norm}.weight`, [v.hiddenSize]);
      shapes.set(`${prefix}.${norm}.bias`, [v.hiddenSize]);
    }
    for (const projection of ["q_proj", "k_proj", "v_proj", "out_proj"]) {
      shapes.set(`${prefix}.self_attn.${projection}.weight`, [v.hiddenSize, v.hiddenSize]);
      shapes.set(`${prefix}.self_attn.${projection}.bias`, [v.hiddenSize]);
    }
    shapes.set(`${prefix}.mlp.fc1.weight`, [v.hiddenSize, v.intermediateSize]);
    shapes.set(`${prefix}.mlp.fc1.bias`, [v.intermediateSize]);
    shapes.set(`${prefix}.mlp.fc2.weight`, [v.intermediateSize, v.hiddenSize]);
    shapes.set(`${prefix}.mlp.fc2.bias`, [v.hiddenSize]);
  }
  shapes.set("vpm.post_layernorm.weight", [v.hiddenSize]);
  shapes.set("vpm.post_layernorm.bias", [v.hiddenSize]);
  const h = v.outputSize;
  shapes.set("resampler.query", [v.queryCount, h]);
  shapes.set("resampler.kv_proj.weight", [v.hiddenSize, h]);
  for (const norm of ["ln_q", "ln_kv", "ln_post"]) {
    shapes.set(`resampler.${norm}.weight`, [h]);
    shapes.set(`resampler.${norm}.bias`, [h]);
  }
  for (const projection of ["q_proj", "k_proj", "v_proj", "out_proj"]) {
    shapes.set(`resampler.attn.${projection}.weight`, [h, h]);
    shapes.set(`resampler.attn.${projection}.bias`, [h]);
  }
  shapes.set("resampler.proj", [h, h]);
  const a = config.audio;
  shapes.set("audio.conv1.weight", [a.hiddenSize, a.melBins, 3]);
  shapes.set("audio.conv1.bias", [a.hiddenSize]);
  shapes.set("audio.conv2.weight", [a.hiddenSize, a.hiddenSize, 3]);
  shapes.set("audio.conv2.bias", [a.hiddenSize]);
  for (let layer = 0; layer < a.numLayers; layer++) {
    const prefix = `audio.blocks.${layer}`;
    for (const norm of ["attn_ln", "mlp_ln"]) {
      shapes.set(`${prefix}.${norm}.weight`, [a.hiddenSize]);
      shapes.set(`${prefix}.${norm}.bias`, [a.hiddenSize]);
    }
    for (const projection of ["query", "key", "value", "out"]) {
      shapes.set(`${prefix}.attn.${projection}.weight`, [a.hiddenSize, a.hiddenSize]);
      if (projection !== "key") shapes.set(`${prefix}.attn.${projection}.bias`, [a.hiddenSize]);
    }
    shapes.set(`${prefix}.mlp.0.weight`, [a.hiddenSize, 4 * a.hiddenSize]);
    shapes.set(`${prefix}.mlp.0.bias`, [4 * a.hiddenSize]);
    shapes.set(`${prefix}.mlp.2.weight`, [4 * a.hiddenSize, a.hiddenSize]);
    shapes.set(`${prefix}.mlp.2.bias`, [a.hiddenSize]);
  }
  shapes.set("audio.ln_post.weight", [a.hiddenSize]);
  shapes.set("audio.ln_post.bias", [a.hiddenSize]);
  shapes.set("audio.proj.weight", [a.hiddenSize, a.outputSize]);
  shapes.set("audio.proj.bias", [a.outputSize]);
  shapes.set("audio.audio_bos_eos_token.weight", [2, a.outputSize]);
  return shapes;
}
