// Audio path: Whisper-large-v3 log-mel against transformers.js on the real Megrez samples, token arithmetic, decoders.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeAudio } from "../../../container/omni/audio-decode";
import { audioInputsFromWaveform, audioTokenCount, preprocessAudio } from "../../../container/omni/audio-preprocess";
import { isOmniInputError } from "../../../container/omni/omni-input-error";
import { resample } from "../../../container/omni/resample";
import { WhisperLogMel } from "../../../container/omni/whisper-log-mel";
import { whisperLargeV3Extractor } from "../../../bench/omni/transformers-js-preprocess";
import { encodeWav } from "./wav-fixture";

const FIXTURES = new URL("../../fixtures/omni/", import.meta.url);
const SAMPLE_MP3 = new URL("sample_audio.mp3", FIXTURES);
const TRAIN_WAV = new URL(
  `train/audios/${
    readdirSync(new URL("train/audios/", FIXTURES))
      .filter((name) => name.endsWith(".wav"))
      .sort()[0]
  }`,
  FIXTURES,
);

// The oracle: transformers.js's extractor built offline from whisper-large-v3's preprocessor settings
// (the same peer bench/omni measures against).
const oracle = whisperLargeV3Extractor();

async function maxDifferenceFromOracle(samples16k: Float32Array): Promise<number> {
  const ours = new WhisperLogMel().compute(samples16k);
  const reference = await oracle(samples16k);
  expect(reference.input_features.dims).toEqual([1, 128, 3000]);
  const expected = reference.input_features.data;
  expect(ours.features.length).toBe(expected.length);
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(Number(expected[i]) - ours.features[i]!));
  return max;
}

describe("Whisper log-mel", () => {
  it("matches transformers.js on the real sample_audio.mp3 (48 kHz MP3) within 1e-4", async () => {
    const decoded = await decodeAudio(readFileSync(SAMPLE_MP3));
    expect(decoded.sampleRate).toBe(48000);
    const samples = resample(decoded.samples, decoded.sampleRate, 16000);
    expect(await maxDifferenceFromOracle(samples)).toBeLessThan(1e-4);
  });

  it("matches transformers.js on a real training WAV (24 kHz PCM) within 1e-4", async () => {
    const decoded = await decodeAudio(readFileSync(TRAIN_WAV));
    expect(decoded.sampleRate).toBe(24000);
    const samples = resample(decoded.samples, decoded.sampleRate, 16000);
    expect(await maxDifferenceFromOracle(samples)).toBeLessThan(1e-4);
  });

  it("matches on a full 30 s window, where the reflect padding reaches real audio", async () => {
    const samples = Float32Array.from({ length: 480000 }, (_, i) => 0.3 * Math.sin(i * 0.05) + 0.1 * Math.sin(i * 0.0013));
    expect(await maxDifferenceFromOracle(samples)).toBeLessThan(1e-4);
  });
});

describe("audio token arithmetic", () => {
  it("follows conv stride 2 and AvgPool(2, 2): about 25 tokens per second plus BOS/EOS", () => {
    expect(audioTokenCount(1000)).toEqual({ lengthAfterConv: 500, audioTokens: 250, spanTokens: 252 });
    expect(audioTokenCount(3000)).toEqual({ lengthAfterConv: 1500, audioTokens: 750, spanTokens: 752 });
    expect(audioTokenCount(999)).toEqual({ lengthAfterConv: 500, audioTokens: 250, spanTokens: 252 });
    expect(audioTokenCount(997)).toEqual({ lengthAfterConv: 499, audioTokens: 249, spanTokens: 251 });
  });

  it("gives the encoder exactly 2 × post-conv frames of the real training WAV", async () => {
    const bytes = readFileSync(TRAIN_WAV);
    const decoded = await decodeAudio(bytes);
    const inputs = await preprocessAudio(bytes);
    const melFrames = Math.floor(Math.floor((decoded.samples.length * 2) / 3) / 160);
    const lengthAfterConv = 1 + Math.floor((melFrames - 1) / 2);
    expect(inputs.lengthAfterConv).toBe(lengthAfterConv);
    expect(inputs.encoderFrames).toBe(2 * lengthAfterConv);
    expect(inputs.audioTokens).toBe(Math.floor((lengthAfterConv - 2) / 2) + 1);
    expect(inputs.spanTokens).toBe(inputs.audioTokens + 2);
    expect(inputs.inputFeatures.length).toBe(128 * inputs.encoderFrames);
    expect(inputs.audioTokens / inputs.seconds).toBeGreaterThan(24);
    expect(inputs.audioTokens / inputs.seconds).toBeLessThan(26);
  });
});

describe("decoding and resampling", () => {
  it("reads 16-bit stereo, 24-bit and float WAV, averaging channels", async () => {
    const left = Float32Array.from({ length: 800 }, (_, i) => Math.sin(i / 10) * 0.5);
    const right = Float32Array.from({ length: 800 }, () => 0.25);
    for (const format of ["pcm16", "pcm24", "float32"] as const) {
      const decoded = await decodeAudio(encodeWav([left, right], 8000, format));
      expect(decoded.sampleRate).toBe(8000);
      expect(decoded.samples.length).toBe(800);
      for (const i of [0, 17, 799]) expect(decoded.samples[i]).toBeCloseTo((left[i]! + right[i]!) / 2, 3);
    }
  });

  it("keeps a 1 kHz tone's frequency and level through 48 kHz → 16 kHz", () => {
    const input = Float32Array.from({ length: 48000 }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / 48000));
    const output = resample(input, 48000, 16000);
    expect(output.length).toBe(16000);
    let worst = 0;
    for (let i = 200; i < 15800; i++) worst = Math.max(worst, Math.abs(output[i]! - Math.sin((2 * Math.PI * 1000 * i) / 16000)));
    expect(worst).toBeLessThan(2e-3);
  });

  it("removes content above the new Nyquist frequency", () => {
    const input = Float32Array.from({ length: 48000 }, (_, i) => Math.sin((2 * Math.PI * 12000 * i) / 48000));
    const output = resample(input, 48000, 16000);
    let peak = 0;
    for (let i = 200; i < 15800; i++) peak = Math.max(peak, Math.abs(output[i]!));
    expect(peak).toBeLessThan(1e-3);
  });

  it("rejects unknown formats, broken WAVs, silence-only MP3 garbage and over-long audio with typed errors", async () => {
    const codeOf = async (bytes: Uint8Array) => {
      try {
        await preprocessAudio(bytes);
        return "decoded";
      } catch (error) {
        return isOmniInputError(error) ? error.code : `other: ${String(error)}`;
      }
    };
    expect(await codeOf(new TextEncoder().encode("OggS not supported"))).toBe("invalid_audio");
    expect(await codeOf(readFileSync(TRAIN_WAV).subarray(0, 30))).toBe("invalid_audio");
    expect(await codeOf(Uint8Array.from([0xff, 0xfb, 0x90, 0x00, ...new Array(100).fill(7)]))).toBe("invalid_audio");
    expect(await codeOf(encodeWav([new Float32Array(8000 * 31)], 8000, "pcm16"))).toBe("audio_too_long");
    expect(await codeOf(encodeWav([new Float32Array(100)], 8000, "pcm16"))).toBe("invalid_audio");
    expect(() => audioInputsFromWaveform(new Float32Array(16000 * 31))).toThrow(/at most 30 s/);
  });
});
