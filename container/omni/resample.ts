/**
 * Band-limited sample-rate conversion (Kaiser-windowed sinc, rational polyphase) to bring decoded audio to the
 * 16 kHz the Whisper front end expects. The reference pipeline lets ffmpeg resample; any high-quality low-pass
 * resampler gives the same features to within the model's tolerance, and this one is deterministic and dependency-free.
 */
const ZERO_CROSSINGS = 32;
const KAISER_BETA = 9;
const ROLLOFF = 0.945;
const MAX_PRECOMPUTED_PHASES = 4096;

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const half = x / 2;
  for (let k = 1; k < 50; k++) {
    term *= (half / k) * (half / k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function greatestCommonDivisor(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

type Kernel = { taps: number; cutoff: number; halfWidth: number; weight: (distance: number) => number };

function makeKernel(inputRate: number, outputRate: number): Kernel {
  const cutoff = 0.5 * Math.min(1, outputRate / inputRate) * ROLLOFF; // cycles per input sample
  const halfWidth = ZERO_CROSSINGS / (2 * cutoff);
  const normalizer = besselI0(KAISER_BETA);
  const weight = (distance: number): number => {
    const ratio = distance / halfWidth;
    if (ratio <= -1 || ratio >= 1) return 0;
    const argument = 2 * cutoff * distance;
    const sinc = argument === 0 ? 1 : Math.sin(Math.PI * argument) / (Math.PI * argument);
    return 2 * cutoff * sinc * (besselI0(KAISER_BETA * Math.sqrt(1 - ratio * ratio)) / normalizer);
  };
  return { taps: 2 * Math.ceil(halfWidth), cutoff, halfWidth, weight };
}

export function resample(samples: Float32Array, inputRate: number, outputRate: number): Float32Array {
  if (inputRate === outputRate) return samples;
  const divisor = greatestCommonDivisor(inputRate, outputRate);
  const up = outputRate / divisor;
  const down = inputRate / divisor;
  const kernel = makeKernel(inputRate, outputRate);
  const reach = kernel.taps / 2;
  const outputLength = Math.floor((samples.length * up) / down);
  const output = new Float32Array(outputLength);
  const tables = up <= MAX_PRECOMPUTED_PHASES ? new Float64Array(up * kernel.taps) : null;
  if (tables !== null) {
    for (let phase = 0; phase < up; phase++) {
      for (let tap = 0; tap < kernel.taps; tap++) tables[phase * kernel.taps + tap] = kernel.weight(tap - reach + 1 - phase / up);
    }
  }
  for (let n = 0; n < outputLength; n++) {
    const position = n * down;
    const base = Math.floor(position / up);
    const phase = position - base * up;
    let sum = 0;
    const first = base - reach + 1;
    for (let tap = 0; tap < kernel.taps; tap++) {
      const index = first + tap;
      if (index < 0 || index >= samples.length) continue;
      const w = tables !== null ? tables[phase * kernel.taps + tap]! : kernel.weight(tap - reach + 1 - phase / up);
      sum += samples[index]! * w;
    }
    output[n] = sum;
  }
  return output;
}
