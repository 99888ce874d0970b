/**
 * Conversions from typed arrays to the little-endian raw bytes ONNX initializers hold,
 * including float32 -> float16 / bfloat16 rounding for half-precision graphs.
 */

/** View a typed array's bytes without copying (platform is little-endian on all our targets). */
export function bytesOf(array: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint16Array | Uint8Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

export function int64Bytes(values: readonly (number | bigint)[]): Uint8Array {
  return bytesOf(BigInt64Array.from(values, (value) => BigInt(value)));
}

const conversionView = new DataView(new ArrayBuffer(4));

/** IEEE float32 -> float16 bits, round-to-nearest-even, with overflow to infinity. */
export function float32ToFloat16Bits(value: number): number {
  conversionView.setFloat32(0, value);
  const bits = conversionView.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    const rounded = (full >> shift) + ((full >> (shift - 1)) & 1 && (full & ((1 << (shift - 1)) - 1) || (full >> shift) & 1) ? 1 : 0);
    return sign | rounded;
  }
  let half = sign | (halfExponent << 10) | (mantissa >> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && half & 1)) half += 1;
  return half;
}

export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function float32ToFloat16Array(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let index = 0; index < values.length; index++) out[index] = float32ToFloat16Bits(values[index] ?? 0);
  return out;
}

export function float16ToFloat32Array(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let index = 0; index < bits.length; index++) out[index] = float16BitsToFloat32(bits[index] ?? 0);
  return out;
}

/** bfloat16 is the top half of a float32, so widening is a shift. */
export function bfloat16ToFloat32Array(bits: Uint16Array): Float32Array {
  const widened = new Uint32Array(bits.length);
  for (let index = 0; index < bits.length; index++) widened[index] = (bits[index] ?? 0) << 16;
  return new Float32Array(widened.buffer);
}
