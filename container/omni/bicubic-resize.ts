/**
 * Bicubic resize of interleaved 8-bit RGB with Pillow's algorithm (`Image.resize(..., BICUBIC)`): a separable
 * a=-0.5 cubic kernel widened by the scale factor when shrinking (antialiasing), coefficients in 22-bit fixed
 * point, horizontal pass then vertical, clamped to 0..255 after each pass. The Megrez/MiniCPM-V processor resizes
 * with Pillow, so reproducing its arithmetic keeps our pixels equal to the reference rather than merely close.
 */
export type RgbImage = { width: number; height: number; data: Uint8Array };

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);
const CUBIC_SUPPORT = 2;

function cubic(distance: number): number {
  const a = -0.5;
  const x = Math.abs(distance);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

type Coefficients = { kernelSize: number; bounds: Int32Array; weights: Int32Array };

function computeCoefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = CUBIC_SUPPORT * filterScale;
  const kernelSize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * kernelSize);
  const raw = new Float64Array(kernelSize);
  for (let out = 0; out < outSize; out++) {
    const center = (out + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const w = cubic((x + xmin - center + 0.5) / filterScale);
      raw[x] = w;
      total += w;
    }
    for (let x = 0; x < xmax; x++) {
      const normalized = total !== 0 ? raw[x]! / total : raw[x]!;
      weights[out * kernelSize + x] = Math.trunc(normalized < 0 ? normalized * ONE - 0.5 : normalized * ONE + 0.5);
    }
    bounds[out * 2] = xmin;
    bounds[out * 2 + 1] = xmax;
  }
  return { kernelSize, bounds, weights };
}

function clip8(accumulator: number): number {
  if (accumulator <= 0) return 0;
  const value = Math.floor(accumulator / ONE);
  return Math.min(value, 255);
}

function resizeHorizontal(image: RgbImage, outWidth: number): RgbImage {
  const { kernelSize, bounds, weights } = computeCoefficients(image.width, outWidth);
  const source = image.data;
  const out = new Uint8Array(outWidth * image.height * 3);
  const inStride = image.width * 3;
  for (let x = 0; x < outWidth; x++) {
    const first = bounds[x * 2]! * 3;
    const count = bounds[x * 2 + 1]!;
    const k = x * kernelSize;
    for (let y = 0, rowIn = 0, target = x * 3; y < image.height; y++, rowIn += inStride, target += outWidth * 3) {
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let i = 0, p = rowIn + first; i < count; i++, p += 3) {
        const w = weights[k + i]!;
        r += source[p]! * w;
        g += source[p + 1]! * w;
        b += source[p + 2]! * w;
      }
      out[target] = clip8(r);
      out[target + 1] = clip8(g);
      out[target + 2] = clip8(b);
    }
  }
  return { width: outWidth, height: image.height, data: out };
}

function resizeVertical(image: RgbImage, outHeight: number): RgbImage {
  const { kernelSize, bounds, weights } = computeCoefficients(image.height, outHeight);
  const source = image.data;
  const stride = image.width * 3;
  const out = new Uint8Array(stride * outHeight);
  for (let y = 0; y < outHeight; y++) {
    const first = bounds[y * 2]! * stride;
    const count = bounds[y * 2 + 1]!;
    const k = y * kernelSize;
    const rowOut = y * stride;
    for (let c = 0; c < stride; c++) {
      let sum = HALF;
      for (let i = 0, p = first + c; i < count; i++, p += stride) sum += source[p]! * weights[k + i]!;
      out[rowOut + c] = clip8(sum);
    }
  }
  return { width: image.width, height: outHeight, data: out };
}

export function resizeBicubic(image: RgbImage, width: number, height: number): RgbImage {
  let result = image;
  if (width !== image.width) result = resizeHorizontal(result, width);
  if (height !== image.height) result = resizeVertical(result, height);
  return result;
}

/** Crops a box; the caller guarantees it lies inside the image (slices are exact divisions). */
export function cropRgb(image: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * image.width + left) * 3;
    out.set(image.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data: out };
}
