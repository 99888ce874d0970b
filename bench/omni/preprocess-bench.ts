/**
 * Preprocessing timings, ours vs transformers.js doing the same work, on the real Megrez samples:
 * one 720×1480 image (decode + slice + resize + normalize + layout) and 10 s of audio (log-mel on the same 16 kHz
 * waveform; our full path decode + resample + log-mel reported too). Also how far the peer's resize is from ours.
 */
import { readFileSync, readdirSync } from "node:fs";
import { decodeAudio } from "../../container/omni/audio-decode";
import { preprocessAudio } from "../../container/omni/audio-preprocess";
import { preprocessImage } from "../../container/omni/image-preprocess";
import { resample } from "../../container/omni/resample";
import { WhisperLogMel } from "../../container/omni/whisper-log-mel";
import { encodeWav } from "../../test/node/omni/wav-fixture";
import { median } from "../median";
import { transformersJsSlices, whisperLargeV3Extractor } from "./transformers-js-preprocess";

const FIXTURES = new URL("../../test/fixtures/omni/", import.meta.url);

async function timed(repeats: number, run: () => Promise<unknown>): Promise<number> {
  await run(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

/** 10 s of real speech at 24 kHz: the training clips, concatenated and cut. */
async function tenSecondsOfSpeech(): Promise<{ samples: Float32Array; sampleRate: number }> {
  const directory = new URL("train/audios/", FIXTURES);
  const clips = await Promise.all(
    readdirSync(directory)
      .filter((name) => name.endsWith(".wav"))
      .sort()
      .map(async (name) => decodeAudio(readFileSync(new URL(name, directory)))),
  );
  const sampleRate = clips[0]!.sampleRate;
  const samples = new Float32Array(sampleRate * 10);
  let offset = 0;
  for (const clip of clips) {
    if (offset >= samples.length) break;
    const part = clip.samples.subarray(0, samples.length - offset);
    samples.set(part, offset);
    offset += part.length;
  }
  return { samples, sampleRate };
}

export type PreprocessFigures = {
  imageOursMs: number;
  imagePeerMs: number;
  imagePixelMeanAbsDiff: number;
  audioLogMelOursMs: number;
  audioLogMelPeerMs: number;
  audioFullPathOursMs: number;
  audioMaxAbsDiff: number;
};

export async function preprocessBench(repeats: number): Promise<PreprocessFigures> {
  const image = new Uint8Array(readFileSync(new URL("sample_image.jpg", FIXTURES)));
  const imageOursMs = await timed(repeats, () => preprocessImage(image));
  const imagePeerMs = await timed(repeats, () => transformersJsSlices(image));
  const ours = await preprocessImage(image);
  const peer = await transformersJsSlices(image);
  let diff = 0;
  for (let i = 0; i < ours.pixelValues.length; i++) diff += Math.abs(ours.pixelValues[i]! - peer.pixelValues[i]!) * 127.5;
  const imagePixelMeanAbsDiff = diff / ours.patchAttentionMask.reduce((sum, value) => sum + Number(value), 0) / (3 * 14 * 14);

  const speech = await tenSecondsOfSpeech();
  const wav = encodeWav([speech.samples], speech.sampleRate, "pcm16");
  const waveform = resample(speech.samples, speech.sampleRate, 16000);
  const logMel = new WhisperLogMel();
  const extractor = whisperLargeV3Extractor();
  const audioLogMelOursMs = await timed(repeats, async () => logMel.compute(waveform));
  const audioLogMelPeerMs = await timed(repeats, () => extractor(waveform));
  const audioFullPathOursMs = await timed(repeats, () => preprocessAudio(wav));
  const reference = (await extractor(waveform)).input_features.data;
  const mine = logMel.compute(waveform).features;
  let max = 0;
  for (let i = 0; i < mine.length; i++) max = Math.max(max, Math.abs(mine[i]! - Number(reference[i])));
  return { imageOursMs, imagePeerMs, imagePixelMeanAbsDiff, audioLogMelOursMs, audioLogMelPeerMs, audioFullPathOursMs, audioMaxAbsDiff: max };
}
