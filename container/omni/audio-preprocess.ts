/**
 * Audio → audio-encoder inputs, the Megrez-3B-Omni (Qwen-Audio-style) way: decode, mono, resample to 16 kHz, Whisper
 * log-mel over a 30 s window, then the encoder's length arithmetic: conv1 (k3, s1) keeps the frame count, conv2
 * (k3, s2) halves it, AvgPool1d(2, 2) halves it again; the prompt span holds those tokens plus audio BOS and EOS.
 */
import { decodeAudio } from "./audio-decode";
import { OmniInputError } from "./omni-input-error";
import { resample } from "./resample";
import { WHISPER_LARGE_V3, WhisperLogMel, type LogMelOptions } from "./whisper-log-mel";

export type AudioInputs = {
  /** [1, melBins, encoderFrames]: the log-mel frames the encoder reads (2 × its post-conv length). */
  inputFeatures: Float32Array;
  melBins: number;
  encoderFrames: number;
  /** Length after the two convolutions (audio_len_after_cnn in the reference). */
  lengthAfterConv: number;
  /** Pooled audio embeddings, without BOS/EOS. */
  audioTokens: number;
  /** Placeholder span in the prompt: audioTokens + BOS + EOS. */
  spanTokens: number;
  seconds: number;
};

export type AudioPreprocessOptions = LogMelOptions & { minSeconds: number };

export const MEGREZ_AUDIO_OPTIONS: AudioPreprocessOptions = { ...WHISPER_LARGE_V3, minSeconds: 0.1 };

/** get_T_after_cnn: two convolutions with padding 1, kernel 3, strides 1 then 2. */
export function lengthAfterConvolutions(melFrames: number): number {
  let length = melFrames;
  for (const stride of [1, 2]) length = 1 + Math.floor((length + 2 - 2 - 1) / stride);
  return length;
}

export function audioTokenCount(melFrames: number): { lengthAfterConv: number; audioTokens: number; spanTokens: number } {
  const lengthAfterConv = lengthAfterConvolutions(melFrames);
  const audioTokens = Math.floor((lengthAfterConv - 2) / 2) + 1;
  return { lengthAfterConv, audioTokens, spanTokens: audioTokens + 2 };
}

let sharedLogMel: { options: LogMelOptions; instance: WhisperLogMel } | null = null;

function logMelFor(options: LogMelOptions): WhisperLogMel {
  if (sharedLogMel === null || sharedLogMel.options !== options) sharedLogMel = { options, instance: new WhisperLogMel(options) };
  return sharedLogMel.instance;
}

export function audioInputsFromWaveform(samples16k: Float32Array, options: AudioPreprocessOptions = MEGREZ_AUDIO_OPTIONS): AudioInputs {
  const seconds = samples16k.length / options.sampleRate;
  if (seconds < options.minSeconds) throw new OmniInputError("invalid_audio", `The audio is shorter than ${options.minSeconds} s.`);
  if (seconds > options.chunkSeconds) {
    throw new OmniInputError("audio_too_long", `The audio is ${seconds.toFixed(1)} s long; at most ${options.chunkSeconds} s is supported.`);
  }
  const mel = logMelFor(options).compute(samples16k);
  const { lengthAfterConv, audioTokens, spanTokens } = audioTokenCount(mel.validFrames);
  const encoderFrames = Math.min(2 * lengthAfterConv, mel.frames);
  const inputFeatures = new Float32Array(options.melBins * encoderFrames);
  for (let m = 0; m < options.melBins; m++) {
    inputFeatures.set(mel.features.subarray(m * mel.frames, m * mel.frames + encoderFrames), m * encoderFrames);
  }
  return { inputFeatures, melBins: options.melBins, encoderFrames, lengthAfterConv, audioTokens, spanTokens, seconds };
}

export async function preprocessAudio(bytes: Uint8Array, options: AudioPreprocessOptions = MEGREZ_AUDIO_OPTIONS): Promise<AudioInputs> {
  const decoded = await decodeAudio(bytes);
  // Check the length before the costly resampling.
  if (decoded.samples.length / decoded.sampleRate > options.chunkSeconds + 0.05) {
    const seconds = decoded.samples.length / decoded.sampleRate;
    throw new OmniInputError("audio_too_long", `The audio is ${seconds.toFixed(1)} s long; at most ${options.chunkSeconds} s is supported.`);
  }
  const samples = resample(decoded.samples, decoded.sampleRate, options.sampleRate);
  return audioInputsFromWaveform(
    samples.length > options.chunkSeconds * options.sampleRate ? samples.subarray(0, options.chunkSeconds * options.sampleRate) : samples,
    options,
  );
}
