/**
 * Image → vision-encoder inputs, the Megrez-3B-Omni way: decode, plan MiniCPM-V slices, bicubic-resize the overview
 * and the refine image, cut the grid, normalize (x − 127.5) / 127.5 and lay each slice out as a 14-pixel-high strip
 * of patches (the NaViT "reshape by patch" layout the Idefics2 patch convolution consumes). Also computes the
 * per-patch position ids (70×70 bucketed fractional coordinates) and the resampler's (column, row) grid.
 */
import { cropRgb, resizeBicubic, type RgbImage } from "./bicubic-resize";
import { decodeImage, type ImageDecodeLimits, DEFAULT_IMAGE_DECODE_LIMITS } from "./image-decode";
import { MEGREZ_SLICE_OPTIONS, planImageSlices, type SliceOptions, type SlicePlan } from "./image-slicing";

export type VisionSlice = {
  /** Patches along height / width (tgt_sizes in the reference). */
  patchesHigh: number;
  patchesWide: number;
};

/** A batch of slices padded to the longest one, ready for the vision graph. */
export type VisionInputs = {
  plan: SlicePlan;
  slices: VisionSlice[];
  maxPatches: number;
  /** [slices, 3, patch, maxPatches·patch], normalized, zero-padded. */
  pixelValues: Float32Array;
  /** [slices, maxPatches], 1 for real patches. */
  patchAttentionMask: BigInt64Array;
  /** [slices, maxPatches], bucketed 2-D position ids of the vision embeddings. */
  patchPositionIds: BigInt64Array;
  /** [slices, maxPatches, 2] (column, row) of each patch, for the resampler's 2-D sin-cos embedding. */
  resamplerGrid: Float32Array;
};

export type ImagePreprocessOptions = SliceOptions & { positionBuckets: number; limits: ImageDecodeLimits };

export const MEGREZ_IMAGE_OPTIONS: ImagePreprocessOptions = {
  ...MEGREZ_SLICE_OPTIONS,
  positionBuckets: 70,
  limits: DEFAULT_IMAGE_DECODE_LIMITS,
};

/** Slices in the reference order: overview first, then the grid row by row. */
export function sliceImage(image: RgbImage, plan: SlicePlan): RgbImage[] {
  const slices = [resizeBicubic(image, plan.overview.width, plan.overview.height)];
  if (plan.grid !== null && plan.refine !== null) {
    const refined = resizeBicubic(image, plan.refine.width, plan.refine.height);
    const cellWidth = Math.trunc(refined.width / plan.grid[0]);
    const cellHeight = Math.trunc(refined.height / plan.grid[1]);
    for (let top = 0; top < refined.height; top += cellHeight) {
      for (let left = 0; left < refined.width; left += cellWidth) {
        slices.push(cropRgb(refined, left, top, cellWidth, cellHeight));
      }
    }
  }
  return slices;
}

/** torch.bucketize(arange(0, 1−1e-6, 1/n), arange(1/B, 1, 1/B), right=True) in float32, as the reference computes it. */
export function bucketedCoordinates(count: number, buckets: number): Int32Array {
  const boundaries: number[] = [];
  const step = 1 / buckets;
  for (let j = 0; fround(step + j * step) < 1 && j < buckets; j++) boundaries.push(fround(step + j * step));
  const result = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const coordinate = fround(i * (1 / count));
    let bucket = 0;
    while (bucket < boundaries.length && boundaries[bucket]! <= coordinate) bucket++;
    result[i] = bucket;
  }
  return result;
}

const fround = Math.fround;

export function buildVisionInputs(images: RgbImage[], plan: SlicePlan, options: ImagePreprocessOptions): VisionInputs {
  const patch = options.patchSize;
  const slices = images.map((image) => ({ patchesHigh: image.height / patch, patchesWide: image.width / patch }));
  const maxPatches = Math.max(...slices.map((slice) => slice.patchesHigh * slice.patchesWide));
  const rowLength = maxPatches * patch;
  const pixelValues = new Float32Array(images.length * 3 * patch * rowLength);
  const patchAttentionMask = new BigInt64Array(images.length * maxPatches);
  const patchPositionIds = new BigInt64Array(images.length * maxPatches);
  const resamplerGrid = new Float32Array(images.length * maxPatches * 2);
  images.forEach((image, index) => {
    const { patchesHigh, patchesWide } = slices[index]!;
    const rowBuckets = bucketedCoordinates(patchesHigh, options.positionBuckets);
    const columnBuckets = bucketedCoordinates(patchesWide, options.positionBuckets);
    const base = index * 3 * patch * rowLength;
    for (let p = 0; p < patchesHigh * patchesWide; p++) {
      const row = Math.trunc(p / patchesWide);
      const column = p % patchesWide;
      const flat = index * maxPatches + p;
      patchAttentionMask[flat] = 1n;
      patchPositionIds[flat] = BigInt(rowBuckets[row]! * options.positionBuckets + columnBuckets[column]!);
      resamplerGrid[flat * 2] = column;
      resamplerGrid[flat * 2 + 1] = row;
      for (let y = 0; y < patch; y++) {
        const source = ((row * patch + y) * image.width + column * patch) * 3;
        for (let x = 0; x < patch; x++) {
          for (let channel = 0; channel < 3; channel++) {
            const value = image.data[source + x * 3 + channel]!;
            pixelValues[base + (channel * patch + y) * rowLength + p * patch + x] = (value - 127.5) / 127.5;
          }
        }
      }
    }
  });
  return { plan, slices, maxPatches, pixelValues, patchAttentionMask, patchPositionIds, resamplerGrid };
}

export async function preprocessImage(bytes: Uint8Array, options: ImagePreprocessOptions = MEGREZ_IMAGE_OPTIONS): Promise<VisionInputs> {
  const image = await decodeImage(bytes, options.limits);
  const plan = planImageSlices({ width: image.width, height: image.height }, options);
  return buildVisionInputs(sliceImage(image, plan), plan, options);
}
