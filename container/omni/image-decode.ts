/**
 * Decodes JPEG/PNG/WebP (and whatever else libvips reads: GIF first frame, TIFF, AVIF) into 8-bit RGB with sharp.
 * Like Pillow's `convert("RGB")` in the reference processor: alpha is dropped (not composited) and EXIF orientation
 * is not applied. A pixel cap guards against decompression bombs.
 */
import sharp, { type OutputInfo } from "sharp";
import { OmniInputError } from "./omni-input-error";
import type { RgbImage } from "./bicubic-resize";

export type ImageDecodeLimits = { maxPixels: number };

export const DEFAULT_IMAGE_DECODE_LIMITS: ImageDecodeLimits = { maxPixels: 40_000_000 };

export async function decodeImage(bytes: Uint8Array, limits: ImageDecodeLimits = DEFAULT_IMAGE_DECODE_LIMITS): Promise<RgbImage> {
  if (bytes.byteLength === 0) throw new OmniInputError("invalid_image", "The image is empty.");
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: "error", pages: 1 })
      .toColourspace("srgb")
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (/pixel limit/i.test(reason)) {
      throw new OmniInputError("image_too_large", `The image has more than ${limits.maxPixels} pixels.`);
    }
    throw new OmniInputError("invalid_image", "The image could not be decoded (supported: JPEG, PNG, WebP, GIF).");
  }
  const { width, height, channels } = decoded.info;
  if (channels === 3) return { width, height, data: new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength) };
  // Grey images come back with one channel: replicate it, as Pillow's L→RGB conversion does.
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const value = decoded.data[i * channels]!;
    rgb[i * 3] = value;
    rgb[i * 3 + 1] = value;
    rgb[i * 3 + 2] = value;
  }
  return { width, height, data: rgb };
}
