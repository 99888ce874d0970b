/**
 * Complex FFT for any length whose factors are small (Whisper's n_fft = 400 = 2⁴·5²), by recursive Cooley–Tukey
 * decimation in time with in-place butterflies of the smallest remaining factor. Float64 throughout.
 * Why not `fft.js`: it takes power-of-two sizes only, and zero-padding the 400-sample frame to 512 gives other
 * frequency bins than Whisper's STFT, so the log-mel would no longer match the reference.
 */
function factorize(length: number): number[] {
  const factors: number[] = [];
  let rest = length;
  for (const prime of [4, 2, 3, 5]) {
    while (rest % prime === 0) {
      factors.push(prime);
      rest /= prime;
    }
  }
  for (let candidate = 7; rest > 1; candidate += 2) {
    while (rest % candidate === 0) {
      factors.push(candidate);
      rest /= candidate;
    }
  }
  return factors;
}

export class MixedRadixFft {
  readonly length: number;
  private readonly factors: number[];
  private readonly cosTable: Float64Array;
  private readonly sinTable: Float64Array;
  private readonly scratchRe: Float64Array;
  private readonly scratchIm: Float64Array;

  constructor(length: number) {
    this.length = length;
    this.factors = factorize(length);
    this.cosTable = new Float64Array(length);
    this.sinTable = new Float64Array(length);
    for (let k = 0; k < length; k++) {
      this.cosTable[k] = Math.cos((2 * Math.PI * k) / length);
      this.sinTable[k] = -Math.sin((2 * Math.PI * k) / length);
    }
    const largest = Math.max(1, ...this.factors);
    this.scratchRe = new Float64Array(largest);
    this.scratchIm = new Float64Array(largest);
  }

  /** out = DFT(in), with X[k] = Σ x[n]·e^{−2πikn/N}. */
  transform(inRe: Float64Array, inIm: Float64Array, outRe: Float64Array, outIm: Float64Array): void {
    this.recurse(inRe, inIm, 0, 1, this.length, outRe, outIm, 0, 0);
  }

  private recurse(
    inRe: Float64Array,
    inIm: Float64Array,
    inOffset: number,
    stride: number,
    size: number,
    outRe: Float64Array,
    outIm: Float64Array,
    outOffset: number,
    level: number,
  ): void {
    if (size === 1) {
      outRe[outOffset] = inRe[inOffset]!;
      outIm[outOffset] = inIm[inOffset]!;
      return;
    }
    const radix = this.factors[level]!;
    const sub = size / radix;
    for (let j = 0; j < radix; j++) {
      this.recurse(inRe, inIm, inOffset + j * stride, stride * radix, sub, outRe, outIm, outOffset + j * sub, level + 1);
    }
    const step = this.length / size; // twiddle index step for W_size
    const radixStep = this.length / radix;
    const tRe = this.scratchRe;
    const tIm = this.scratchIm;
    for (let k = 0; k < sub; k++) {
      for (let j = 0; j < radix; j++) {
        const index = outOffset + j * sub + k;
        const twiddle = (j * k * step) % this.length;
        const c = this.cosTable[twiddle]!;
        const s = this.sinTable[twiddle]!;
        const re = outRe[index]!;
        const im = outIm[index]!;
        tRe[j] = re * c - im * s;
        tIm[j] = re * s + im * c;
      }
      for (let q = 0; q < radix; q++) {
        let sumRe = 0;
        let sumIm = 0;
        for (let j = 0; j < radix; j++) {
          const twiddle = ((j * q) % radix) * radixStep;
          const c = this.cosTable[twiddle]!;
          const s = this.sinTable[twiddle]!;
          sumRe += tRe[j]! * c - tIm[j]! * s;
          sumIm += tRe[j]! * s + tIm[j]! * c;
        }
        outRe[outOffset + k + q * sub] = sumRe;
        outIm[outOffset + k + q * sub] = sumIm;
      }
    }
  }
}
