/**
 * The GPU check bundle's stand-in for the `sharp` package (esbuild aliases `sharp` to this file when it builds the
 * bundle): the one call chain container/omni/image-decode.ts makes, reading PPM images only. Anything else is
 * refused as undecodable, which image-decode reports as an invalid image.
 */
import { decodePpm } from "./ppm-image";

interface RawResult {
  data: Buffer;
  info: { width: number; height: number; channels: number };
}

interface Pipeline {
  toColourspace(space: string): Pipeline;
  removeAlpha(): Pipeline;
  raw(): Pipeline;
  toBuffer(options: { resolveWithObject: true }): Promise<RawResult>;
}

export default function sharp(input: Uint8Array, options: { limitInputPixels?: number } = {}): Pipeline {
  const pipeline: Pipeline = {
    toColourspace: () => pipeline,
    removeAlpha: () => pipeline,
    raw: () => pipeline,
    async toBuffer() {
      const image = decodePpm(input);
      if (options.limitInputPixels !== undefined && image.width * image.height > options.limitInputPixels) {
        throw new Error("Input image exceeds pixel limit");
      }
      return { data: Buffer.from(image.data), info: { width: image.width, height: image.height, channels: 3 } };
    },
  };
  return pipeline;
}
