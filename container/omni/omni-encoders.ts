/**
 * The Omni towers at run time: reads the `megrez_omni` section of a model folder's config.json and opens
 * `onnx/vision_encoder.onnx` and `onnx/audio_encoder.onnx` on the engine's session interface. A folder without the
 * section is a text-only model (`loadOmniEncoders` returns null), so the engine can always call it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { InferenceSession } from "../runtime/inference-session";
import type { AudioInputs } from "./audio-preprocess";
import type { VisionInputs } from "./image-preprocess";
import { omniConfigFromJson, omniConfigSchema, type OmniConfig } from "./omni-dims";

export type SessionFactory = (path: string) => Promise<InferenceSession>;

const configFileSchema = z.looseObject({ hidden_size: z.number().int().positive(), megrez_omni: omniConfigSchema.optional() });

export function readOmniConfig(modelDir: string): OmniConfig | null {
  const parsed = configFileSchema.safeParse(JSON.parse(readFileSync(join(modelDir, "config.json"), "utf8")));
  if (!parsed.success) throw new Error(`config.json megrez_omni: ${parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`).join("; ")}`);
  const section = parsed.data.megrez_omni;
  return section === undefined ? null : omniConfigFromJson(section, parsed.data.hidden_size);
}

export class OmniEncoders {
  private constructor(
    readonly config: OmniConfig,
    private readonly vision: InferenceSession,
    private readonly audio: InferenceSession,
  ) {}

  /** [slices · queries · hidden] embeddings for one preprocessed image. */
  async encodeImage(inputs: VisionInputs): Promise<Float32Array> {
    const slices = inputs.slices.length;
    const patch = this.config.vision.patchSize;
    const out = await this.vision.run({
      pixel_values: { type: "float32", dims: [slices, 3, patch, inputs.maxPatches * patch], data: inputs.pixelValues },
      patch_attention_mask: { type: "int64", dims: [slices, inputs.maxPatches], data: inputs.patchAttentionMask },
      patch_position_ids: { type: "int64", dims: [slices, inputs.maxPatches], data: inputs.patchPositionIds },
      resampler_grid: { type: "float32", dims: [slices, inputs.maxPatches, 2], data: inputs.resamplerGrid },
    });
    const features = out.image_features;
    if (features === undefined || features.type !== "float32") throw new Error("vision encoder produced no float32 image_features");
    return features.data;
  }

  /** [(audioTokens + 2) · hidden] embeddings (BOS, pooled frames, EOS) for one preprocessed clip. */
  async encodeAudio(inputs: AudioInputs): Promise<Float32Array> {
    const out = await this.audio.run({
      input_features: { type: "float32", dims: [1, inputs.melBins, inputs.encoderFrames], data: inputs.inputFeatures },
    });
    const embeds = out.audio_embeds;
    if (embeds === undefined || embeds.type !== "float32") throw new Error("audio encoder produced no float32 audio_embeds");
    return embeds.data;
  }

  async release(): Promise<void> {
    await this.vision.release();
    await this.audio.release();
  }

  static async open(config: OmniConfig, modelDir: string, createSession: SessionFactory): Promise<OmniEncoders> {
    const missing = ["vision_encoder.onnx", "audio_encoder.onnx"].filter((file) => !existsSync(join(modelDir, "onnx", file)));
    if (missing.length > 0) throw new Error(`config.json declares megrez_omni but onnx/${missing.join(", onnx/")} is missing`);
    const vision = await createSession(join(modelDir, "onnx", "vision_encoder.onnx"));
    const audio = await createSession(join(modelDir, "onnx", "audio_encoder.onnx"));
    return new OmniEncoders(config, vision, audio);
  }
}

/** Null for a text-only model folder. */
export async function loadOmniEncoders(modelDir: string, createSession: SessionFactory): Promise<OmniEncoders | null> {
  const config = readOmniConfig(modelDir);
  return config === null ? null : OmniEncoders.open(config, modelDir, createSession);
}
