/**
 * Binary PPM (P6, 8-bit RGB): the image format of the GPU check's bundle, which carries no image codec library
 * (libvips alone is 18 MB; the bundle must fit 64 MiB). The check synthesizes its 720×1480 test image in this
 * format; `decodePpm` reads it back for the bundle's stand-in for sharp (bench/gpu/sharp-ppm.ts).
 */

/** A deterministic 720×1480-style test picture: smooth gradients with a texture, so slices differ. */
export function syntheticPpm(width: number, height: number): Uint8Array {
  const header = new TextEncoder().encode(`P6\n${width} ${height}\n255\n`);
  const bytes = new Uint8Array(header.length + width * height * 3);
  bytes.set(header);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = header.length + (y * width + x) * 3;
      bytes[at] = (x * 255) / width;
      bytes[at + 1] = (y * 255) / height;
      bytes[at + 2] = 128 + 127 * Math.sin(x / 23) * Math.cos(y / 31);
    }
  }
  return bytes;
}

export interface PpmImage {
  width: number;
  height: number;
  /** RGB bytes, row by row. */
  data: Uint8Array;
}

/** Reads a binary PPM (P6, maxval 255; `#` comments allowed in the header). */
export function decodePpm(bytes: Uint8Array): PpmImage {
  const fields: string[] = [];
  let at = 0;
  while (fields.length < 4 && at < bytes.length) {
    const byte = bytes[at] ?? 0;
    if (byte === 0x23) while (at < bytes.length && bytes[at] !== 0x0a) at++;
    else if (byte <= 0x20) at++;
    else {
      const start = at;
      while (at < bytes.length && (bytes[at] ?? 0) > 0x20) at++;
      fields.push(new TextDecoder().decode(bytes.subarray(start, at)));
    }
  }
  const [magic, width, height, maxValue] = [fields[0], Number(fields[1]), Number(fields[2]), Number(fields[3])];
  if (magic !== "P6" || !(width > 0) || !(height > 0) || maxValue !== 255) throw new Error("not a binary 8-bit PPM (P6) image");
  const data = bytes.subarray(at + 1, at + 1 + width * height * 3);
  if (data.length !== width * height * 3) throw new Error("the PPM image is truncated");
  return { width, height, data };
}
