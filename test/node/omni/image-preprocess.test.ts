// Image path: MiniCPM-V slicing on the real Megrez sample image, Pillow-style resize properties, layout, bad input.
import { readFileSync } from "node:fs";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { resizeBicubic } from "../../../container/omni/bicubic-resize";
import { decodeImage } from "../../../container/omni/image-decode";
import { bucketedCoordinates, preprocessImage, sliceImage } from "../../../container/omni/image-preprocess";
import { planImageSlices, roundHalfEven, sliceCount } from "../../../container/omni/image-slicing";
import { isOmniInputError } from "../../../container/omni/omni-input-error";

const SAMPLE_IMAGE = new URL("../../fixtures/omni/sample_image.jpg", import.meta.url);
const QUERIES_PER_SLICE = 64;

describe("image slicing", () => {
  it("cuts the 720×1480 sample into an overview plus a 2×3 grid: 7 slices, 448 image tokens", async () => {
    const inputs = await preprocessImage(readFileSync(SAMPLE_IMAGE));
    expect(inputs.plan).toEqual({ overview: { width: 308, height: 644 }, grid: [2, 3], refine: { width: 756, height: 1554 } });
    expect(inputs.slices.length).toBe(7);
    expect(inputs.slices.length * QUERIES_PER_SLICE).toBe(448);
    expect(inputs.slices[0]).toEqual({ patchesHigh: 46, patchesWide: 22 });
    expect(inputs.slices.slice(1).every((s) => s.patchesHigh === 37 && s.patchesWide === 27)).toBe(true);
    expect(inputs.maxPatches).toBe(46 * 22);
  });

  it("keeps small images whole (upscaled to about 448²) and caps wide panoramas at 9 slices", () => {
    const small = planImageSlices({ width: 300, height: 200 });
    expect(small.grid).toBeNull();
    expect(small.overview).toEqual({ width: 546, height: 364 });
    const panorama = planImageSlices({ width: 8000, height: 600 });
    expect(sliceCount(panorama)).toBeLessThanOrEqual(10);
    expect(panorama.grid).toEqual([9, 1]);
    expect(sliceCount(planImageSlices({ width: 448, height: 448 }))).toBe(1);
  });

  it("rounds like Python 3 (half to even)", () => {
    expect([0.5, 1.5, 2.5, 2.4999, 2.5001, 3].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3, 3]);
  });

  it("buckets patch coordinates onto the 70×70 position grid", () => {
    expect(Array.from(bucketedCoordinates(70, 70))).toEqual(Array.from({ length: 70 }, (_, i) => i));
    expect(Array.from(bucketedCoordinates(35, 70))).toEqual(Array.from({ length: 35 }, (_, i) => 2 * i));
    const wide = bucketedCoordinates(27, 70);
    expect(wide[0]).toBe(0);
    expect(wide[26]).toBe(Math.floor((26 / 27) * 70));
  });
});

describe("pixel layout", () => {
  it("lays slices out as 14-pixel strips of patches normalized to [-1, 1], zero-padded past each slice", async () => {
    const bytes = readFileSync(SAMPLE_IMAGE);
    const inputs = await preprocessImage(bytes);
    const image = await decodeImage(bytes);
    const [overview, firstCell] = sliceImage(image, inputs.plan);
    const rowLength = inputs.maxPatches * 14;
    const sliceStride = 3 * 14 * rowLength;
    // Patch 23 of the overview (22 patches wide) is row 1, column 1; pixel (y 5, x 7), green channel.
    const expectedOverview = (overview!.data[((14 + 5) * overview!.width + 14 + 7) * 3 + 1]! - 127.5) / 127.5;
    expect(inputs.pixelValues[(1 * 14 + 5) * rowLength + 23 * 14 + 7]).toBeCloseTo(expectedOverview, 6);
    // First grid cell (slice 1), patch 0, pixel (y 13, x 0), blue channel.
    const expectedCell = (firstCell!.data[13 * firstCell!.width * 3 + 2]! - 127.5) / 127.5;
    expect(inputs.pixelValues[sliceStride + (2 * 14 + 13) * rowLength]).toBeCloseTo(expectedCell, 6);
    const cellPatches = 37 * 27;
    expect(inputs.patchAttentionMask[inputs.maxPatches + cellPatches - 1]).toBe(1n);
    expect(inputs.patchAttentionMask[inputs.maxPatches + cellPatches]).toBe(0n);
    expect(inputs.pixelValues[sliceStride + cellPatches * 14 + 3]).toBe(0);
    let min = Infinity;
    let max = -Infinity;
    for (const value of inputs.pixelValues) {
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
    expect(min).toBeGreaterThanOrEqual(-1);
    expect(max).toBeLessThanOrEqual(1);
    expect(Array.from(inputs.resamplerGrid.subarray(2 * 23, 2 * 23 + 2))).toEqual([1, 1]);
  });

  it("resizes like Pillow's bicubic: flat colours stay flat, sizes are exact", () => {
    const data = new Uint8Array(40 * 30 * 3);
    for (let i = 0; i < data.length; i += 3) data.set([200, 10, 90], i);
    const resized = resizeBicubic({ width: 40, height: 30, data }, 17, 61);
    expect(resized.width).toBe(17);
    expect(resized.height).toBe(61);
    for (let i = 0; i < resized.data.length; i += 3) expect(Array.from(resized.data.subarray(i, i + 3))).toEqual([200, 10, 90]);
  });
});

describe("decoding", () => {
  it("reads PNG with alpha, WebP and grey images as RGB", async () => {
    const rgba = await sharp({ create: { width: 20, height: 10, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } } })
      .png()
      .toBuffer();
    const png = await decodeImage(rgba);
    expect([png.width, png.height, png.data.length]).toEqual([20, 10, 600]);
    expect(Array.from(png.data.subarray(0, 3))).toEqual([255, 0, 0]);
    const webp = await decodeImage(
      await sharp({ create: { width: 9, height: 7, channels: 3, background: "#00ff00" } })
        .webp({ lossless: true })
        .toBuffer(),
    );
    expect(Array.from(webp.data.subarray(0, 3))).toEqual([0, 255, 0]);
    const grey = await decodeImage(
      await sharp({ create: { width: 4, height: 4, channels: 3, background: "#808080" } })
        .greyscale()
        .png()
        .toBuffer(),
    );
    expect(Array.from(grey.data.subarray(0, 6))).toEqual([128, 128, 128, 128, 128, 128]);
  });

  it("rejects garbage, truncated images and decompression bombs with typed errors", async () => {
    const codeOf = async (bytes: Uint8Array, maxPixels?: number) => {
      try {
        await decodeImage(bytes, maxPixels === undefined ? undefined : { maxPixels });
        return "decoded";
      } catch (error) {
        return isOmniInputError(error) ? error.code : "other";
      }
    };
    expect(await codeOf(new TextEncoder().encode("definitely not an image"))).toBe("invalid_image");
    expect(await codeOf(new Uint8Array(0))).toBe("invalid_image");
    expect(await codeOf(readFileSync(SAMPLE_IMAGE).subarray(0, 5000))).toBe("invalid_image");
    expect(await codeOf(readFileSync(SAMPLE_IMAGE), 1000)).toBe("image_too_large");
  });
});
