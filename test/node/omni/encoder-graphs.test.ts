// The generated vision and audio ONNX graphs against float64 reference forward passes, on the real Megrez samples.
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildAudioEncoder } from "../../../container/omni/build-audio-encoder";
import { buildVisionEncoder } from "../../../container/omni/build-vision-encoder";
import { preprocessAudio } from "../../../container/omni/audio-preprocess";
import { preprocessImage } from "../../../container/omni/image-preprocess";
import { float32OmniWeightSource, randomOmniWeights } from "../../../container/omni/omni-weights";
import { TINY_OMNI_DIMS } from "../../../container/omni/tiny-omni-dims";
import { encodeOnnxModel } from "../../../container/onnx/onnx-model";
import { createInferenceSession } from "../../../container/runtime/onnx-backend";
import { referenceAudio, referenceVisionSlice } from "./reference-encoders";

const FIXTURES = new URL("../../fixtures/omni/", import.meta.url);
const dims = TINY_OMNI_DIMS(64);
const weights = randomOmniWeights(dims, 7);

function maxDifference(actual: Float32Array, offset: number, expected: Float64Array[]): number {
  let max = 0;
  for (const [r, row] of expected.entries()) {
    for (const [i, value] of row.entries()) max = Math.max(max, Math.abs(actual[offset + r * row.length + i]! - value));
  }
  return max;
}

describe("vision encoder + resampler graph", () => {
  it("turns the 7 slices of the sample image into 7 × 64 embeddings equal to the float64 reference", async () => {
    const inputs = await preprocessImage(readFileSync(new URL("sample_image.jpg", FIXTURES)));
    const session = await createInferenceSession(encodeOnnxModel(buildVisionEncoder({ ...dims, weights: float32OmniWeightSource(weights) })), {
      executionProvider: "cpu",
    });
    const S = inputs.slices.length;
    const out = await session.run({
      pixel_values: { type: "float32", dims: [S, 3, 14, inputs.maxPatches * 14], data: inputs.pixelValues },
      patch_attention_mask: { type: "int64", dims: [S, inputs.maxPatches], data: inputs.patchAttentionMask },
      patch_position_ids: { type: "int64", dims: [S, inputs.maxPatches], data: inputs.patchPositionIds },
      resampler_grid: { type: "float32", dims: [S, inputs.maxPatches, 2], data: inputs.resamplerGrid },
    });
    await session.release();
    const features = out.image_features!;
    expect(features.dims).toEqual([7, 64, 64]);
    if (features.type !== "float32") throw new Error("expected float32");
    // The overview (no padding) and a padded grid cell: padding must not leak into the result.
    for (const slice of [0, 3]) {
      const expected = referenceVisionSlice(weights, dims.vision, inputs, slice);
      expect(maxDifference(features.data, slice * 64 * 64, expected)).toBeLessThan(1e-4);
    }
  });
});

describe("audio encoder + projector graph", () => {
  it("encodes a real training WAV into BOS + pooled tokens + EOS equal to the float64 reference", async () => {
    const name = readdirSync(new URL("train/audios/", FIXTURES))
      .filter((file) => file.endsWith(".wav"))
      .sort()[0]!;
    const inputs = await preprocessAudio(readFileSync(new URL(`train/audios/${name}`, FIXTURES)));
    const session = await createInferenceSession(encodeOnnxModel(buildAudioEncoder({ ...dims, weights: float32OmniWeightSource(weights) })), {
      executionProvider: "cpu",
    });
    const out = await session.run({ input_features: { type: "float32", dims: [1, 128, inputs.encoderFrames], data: inputs.inputFeatures } });
    await session.release();
    const embeds = out.audio_embeds!;
    expect(embeds.dims).toEqual([1, inputs.spanTokens, 64]);
    if (embeds.type !== "float32") throw new Error("expected float32");
    expect(maxDifference(embeds.data, 0, referenceAudio(weights, dims.audio, inputs))).toBeLessThan(1e-4);
  });
});
