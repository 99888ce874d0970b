/**
 * Whisper-large-v3's audio front end: the waveform (16 kHz) is zero-padded or cut to 30 s, framed with a periodic
 * Hann window (n_fft 400, hop 160, centred with reflect padding; the last frame dropped → 3000 frames), turned into
 * a power spectrum, projected onto 128 Slaney mel filters (0–8 kHz), then log10, floored at max − 8, and (x + 4) / 4.
 * Frames that lie wholly in the zero padding are known to be log10(1e-10), so only frames touching real audio are
 * transformed; the result is identical to transforming all 3000.
 */
import { MixedRadixFft } from "./mixed-radix-fft";

export type LogMelOptions = { melBins: number; sampleRate: number; fftSize: number; hopLength: number; chunkSeconds: number };

export const WHISPER_LARGE_V3: LogMelOptions = { melBins: 128, sampleRate: 16_000, fftSize: 400, hopLength: 160, chunkSeconds: 30 };

const MEL_FLOOR = 1e-10;

function hertzToMel(frequency: number): number {
  const minLogHertz = 1000;
  const minLogMel = 15;
  const logStep = 27 / Math.log(6.4);
  return frequency >= minLogHertz ? minLogMel + Math.log(frequency / minLogHertz) * logStep : (3 * frequency) / 200;
}

function melToHertz(mel: number): number {
  const minLogHertz = 1000;
  const minLogMel = 15;
  const logStep = Math.log(6.4) / 27;
  return mel >= minLogMel ? minLogHertz * Math.exp(logStep * (mel - minLogMel)) : (200 * mel) / 3;
}

/** [melBins][fftSize/2+1] triangular filters with Slaney area normalization. */
export function slaneyMelFilters(options: LogMelOptions): Float64Array[] {
  const bins = Math.floor(options.fftSize / 2) + 1;
  const maxFrequency = 8000;
  const melMax = hertzToMel(maxFrequency);
  const points = options.melBins + 2;
  const edges = Array.from({ length: points }, (_, i) => melToHertz((melMax * i) / (points - 1)));
  const nyquist = Math.floor(options.sampleRate / 2);
  const frequencies = Array.from({ length: bins }, (_, i) => (nyquist * i) / (bins - 1));
  return Array.from({ length: options.melBins }, (_, m) => {
    const filter = new Float64Array(bins);
    const lower = edges[m]!;
    const center = edges[m + 1]!;
    const upper = edges[m + 2]!;
    const norm = 2 / (upper - lower);
    for (let k = 0; k < bins; k++) {
      const f = frequencies[k]!;
      const rising = (f - lower) / (center - lower);
      const falling = (upper - f) / (upper - center);
      filter[k] = Math.max(0, Math.min(rising, falling)) * norm;
    }
    return filter;
  });
}

export type LogMel = {
  /** [melBins, frames] row-major, frames = chunkSeconds · sampleRate / hop (3000). */
  features: Float32Array;
  frames: number;
  /** Frames that belong to the audio itself (samples // hop), as the reference computes mel_len. */
  validFrames: number;
};

export class WhisperLogMel {
  private readonly options: LogMelOptions;
  private readonly filters: Float64Array[];
  private readonly window: Float64Array;
  private readonly fft: MixedRadixFft;

  constructor(options: LogMelOptions = WHISPER_LARGE_V3) {
    this.options = options;
    this.filters = slaneyMelFilters(options);
    this.window = Float64Array.from({ length: options.fftSize }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / options.fftSize));
    this.fft = new MixedRadixFft(options.fftSize);
  }

  compute(samples: Float32Array): LogMel {
    const { fftSize, hopLength, melBins } = this.options;
    const chunk = this.options.chunkSeconds * this.options.sampleRate;
    const length = Math.min(samples.length, chunk);
    const frames = Math.floor(chunk / hopLength);
    const pad = fftSize / 2;
    const padded = new Float64Array(chunk + 2 * pad);
    for (let i = 0; i < length; i++) padded[pad + i] = samples[i]!;
    for (let i = 0; i < pad; i++) {
      padded[pad - 1 - i] = padded[pad + 1 + i]!;
      padded[pad + chunk + i] = padded[pad + chunk - 2 - i]!;
    }
    // Frame i reads padded[i·hop, i·hop + n_fft); past this one every frame reads only zeros.
    const audibleFrames = Math.min(frames, Math.ceil((length + pad) / hopLength) + 1);
    const bins = fftSize / 2 + 1;
    const features = new Float32Array(melBins * frames).fill(Math.log10(MEL_FLOOR));
    const re = new Float64Array(fftSize);
    const im = new Float64Array(fftSize);
    const outRe = new Float64Array(fftSize);
    const outIm = new Float64Array(fftSize);
    const power = new Float64Array(bins);
    let maximum = Math.log10(MEL_FLOOR);
    for (let frame = 0; frame < audibleFrames; frame++) {
      const offset = frame * hopLength;
      for (let i = 0; i < fftSize; i++) re[i] = padded[offset + i]! * this.window[i]!;
      im.fill(0);
      this.fft.transform(re, im, outRe, outIm);
      for (let k = 0; k < bins; k++) power[k] = outRe[k]! * outRe[k]! + outIm[k]! * outIm[k]!;
      for (let m = 0; m < melBins; m++) {
        const filter = this.filters[m]!;
        let sum = 0;
        for (let k = 0; k < bins; k++) sum += filter[k]! * power[k]!;
        const value = Math.log10(Math.max(MEL_FLOOR, sum));
        features[m * frames + frame] = value;
        if (value > maximum) maximum = value;
      }
    }
    const threshold = maximum - 8;
    for (let i = 0; i < features.length; i++) features[i] = (Math.max(features[i]!, threshold) + 4) / 4;
    return { features, frames, validFrames: Math.floor(length / hopLength) };
  }
}
