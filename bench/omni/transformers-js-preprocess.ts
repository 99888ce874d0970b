/**
 * The peer for the preprocessing benchmark: the same work done with @huggingface/transformers' own tools —
 * RawImage (sharp decode, its bicubic resize, crop) following our slice plan, with the same normalization and patch
 * layout, and WhisperFeatureExtractor (large-v3 settings) for the log-mel. transformers.js has no MiniCPM-V/Megrez
 * processor, so the slice geometry comes from our planner; only the pixel work is the peer's.
 */
import { RawImage, WhisperFeatureExtractor } from "@huggingface/transformers";
import { planImageSlices } from "../../container/omni/image-slicing";

export const whisperLargeV3Extractor = (): WhisperFeatureExtractor =>
  new WhisperFeatureExtractor({
    feature_extractor_type: "WhisperFeatureExtractor",
    feature_size: 128,
    sampling_rate: 16000,
    hop_length: 160,
    chunk_length: 30,
    n_fft: 400,
    n_samples: 480000,
    nb_max_frames: 3000,
    padding_side: "right",
    padding_value: 0.0,
    return_attention_mask: false,
  });

/** Returns the slices as normalized patch strips, like preprocessImage's pixel_values. */
export async function transformersJsSlices(bytes: Uint8Array): Promise<{ slices: RawImage[]; pixelValues: Float32Array }> {
  const image = (await RawImage.fromBlob(new Blob([new Uint8Array(bytes)]))).rgb();
  const plan = planImageSlices({ width: image.width, height: image.height });
  const slices = [await image.resize(plan.overview.width, plan.overview.height, { resample: 3 })];
  if (plan.grid !== null && plan.refine !== null) {
    const refined = await image.resize(plan.refine.width, plan.refine.height, { resample: 3 });
    const cellWidth = refined.width / plan.grid[0];
    const cellHeight = refined.height / plan.grid[1];
    for (let top = 0; top < refined.height; top += cellHeight) {
      for (let left = 0; left < refined.width; left += cellWidth) slices.push(await refined.crop([left, top, left + cellWidth - 1, top + cellHeight - 1]));
    }
  }
  const patch = 14;
  const maxPatches = Math.max(...slices.map((slice) => (slice.width / patch) * (slice.height / patch)));
  const rowLength = maxPatches * patch;
  const pixelValues = new Float32Array(slices.length * 3 * patch * rowLength);
  slices.forEach((slice, index) => {
    const wide = slice.width / patch;
    for (let p = 0; p < (slice.height / patch) * wide; p++) {
      const row = Math.floor(p / wide);
      const column = p % wide;
      for (let y = 0; y < patch; y++)
        for (let x = 0; x < patch; x++)
          for (let c = 0; c < 3; c++) {
            const value = slice.data[((row * patch + y) * slice.width + column * patch + x) * 3 + c]!;
            pixelValues[index * 3 * patch * rowLength + (c * patch + y) * rowLength + p * patch + x] = (value - 127.5) / 127.5;
          }
    }
  });
  return { slices, pixelValues };
}
