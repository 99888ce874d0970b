/**
 * The GPU bundle's image path without libvips: the synthetic PPM round-trips through decodePpm, the sharp stand-in
 * gives image-decode what sharp gives it (sharp's prebuilt libvips reads no PPM: it is compared with sharp reading the
 * same pixels as raw input), and it refuses
 * anything that is not a binary PPM or exceeds the pixel cap.
 */
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodePpm, syntheticPpm } from "../../../bench/gpu/ppm-image";
import sharpPpm from "../../../bench/gpu/sharp-ppm";

describe("PPM images for the GPU bundle", () => {
  it("decodes the synthetic picture into what sharp's pipeline gives for the same pixels", async () => {
    const bytes = syntheticPpm(72, 148);
    const image = decodePpm(bytes);
    expect([image.width, image.height, image.data.length]).toEqual([72, 148, 72 * 148 * 3]);
    const ours = await sharpPpm(bytes, { limitInputPixels: 1e6 }).toColourspace("srgb").removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const theirs = await sharp(image.data, { raw: { width: 72, height: 148, channels: 3 } })
      .toColourspace("srgb")
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(ours.info).toMatchObject({ width: theirs.info.width, height: theirs.info.height, channels: theirs.info.channels });
    expect(Buffer.compare(ours.data, theirs.data)).toBe(0);
  });

  it("refuses other formats, truncated files and images over the pixel cap", async () => {
    const raw = (bytes: Uint8Array, limit?: number) =>
      sharpPpm(bytes, limit === undefined ? {} : { limitInputPixels: limit })
        .raw()
        .toBuffer({ resolveWithObject: true });
    await expect(raw(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).rejects.toThrow(/not a binary 8-bit PPM/);
    await expect(raw(syntheticPpm(8, 8).subarray(0, 100))).rejects.toThrow(/truncated/);
    await expect(raw(syntheticPpm(8, 8), 10)).rejects.toThrow(/pixel limit/);
  });
});
