/**
 * A small RIFF/WAVE reader: PCM 8/16/24/32-bit integer and 32/64-bit float (also inside WAVE_FORMAT_EXTENSIBLE),
 * any channel count, mixed down to mono by averaging (what ffmpeg's `-ac 1` does for the reference loader).
 * Why not the `wavefile` package: it scales positive integer samples by 1/32767 and negative ones by 1/32768,
 * where the reference (ffmpeg, soundfile) scales both by 1/32768; on the ten training WAVs in test/fixtures
 * that moved the log-mel features by up to 6.0e-3, past the 1e-4 we hold against the reference.
 */
import { OmniInputError } from "./omni-input-error";

export type DecodedAudio = { samples: Float32Array; sampleRate: number };

const PCM = 1;
const IEEE_FLOAT = 3;
const EXTENSIBLE = 0xfffe;

function fourCc(view: DataView, offset: number): string {
  return String.fromCharCode(view.getUint8(offset), view.getUint8(offset + 1), view.getUint8(offset + 2), view.getUint8(offset + 3));
}

export function isWav(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 12) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return fourCc(view, 0) === "RIFF" && fourCc(view, 8) === "WAVE";
}

type Format = { encoding: number; channels: number; sampleRate: number; bitsPerSample: number };

function readSample(view: DataView, offset: number, format: Format): number {
  if (format.encoding === IEEE_FLOAT) {
    return format.bitsPerSample === 32 ? view.getFloat32(offset, true) : view.getFloat64(offset, true);
  }
  switch (format.bitsPerSample) {
    case 8:
      return (view.getUint8(offset) - 128) / 128;
    case 16:
      return view.getInt16(offset, true) / 32768;
    case 24: {
      const value = view.getUint8(offset) | (view.getUint8(offset + 1) << 8) | (view.getInt8(offset + 2) << 16);
      return value / 8388608;
    }
    default:
      return view.getInt32(offset, true) / 2147483648;
  }
}

function parseFormat(view: DataView, offset: number, size: number): Format {
  if (size < 16) throw new OmniInputError("invalid_audio", "The WAV fmt chunk is truncated.");
  let encoding = view.getUint16(offset, true);
  const channels = view.getUint16(offset + 2, true);
  const sampleRate = view.getUint32(offset + 4, true);
  const bitsPerSample = view.getUint16(offset + 14, true);
  if (encoding === EXTENSIBLE && size >= 26) encoding = view.getUint16(offset + 24, true);
  const supported = (encoding === PCM && [8, 16, 24, 32].includes(bitsPerSample)) || (encoding === IEEE_FLOAT && [32, 64].includes(bitsPerSample));
  if (!supported) throw new OmniInputError("invalid_audio", `Unsupported WAV encoding ${encoding} with ${bitsPerSample} bits per sample.`);
  if (channels < 1 || sampleRate < 1000 || sampleRate > 384_000) {
    throw new OmniInputError("invalid_audio", "The WAV header has an invalid channel count or sample rate.");
  }
  return { encoding, channels, sampleRate, bitsPerSample };
}

export function decodeWav(bytes: Uint8Array): DecodedAudio {
  if (!isWav(bytes)) throw new OmniInputError("invalid_audio", "Not a RIFF/WAVE file.");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: Format | null = null;
  let offset = 12;
  while (offset + 8 <= bytes.byteLength) {
    const id = fourCc(view, offset);
    const declared = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt ") format = parseFormat(view, body, Math.min(declared, bytes.byteLength - body));
    if (id === "data") {
      if (format === null) throw new OmniInputError("invalid_audio", "The WAV data chunk comes before its fmt chunk.");
      // Streamed writers leave the size as 0 or 0xFFFFFFFF: take what is there.
      const available = bytes.byteLength - body;
      const size = declared === 0 || declared > available ? available : declared;
      const frameBytes = (format.bitsPerSample / 8) * format.channels;
      const frames = Math.floor(size / frameBytes);
      if (frames === 0) throw new OmniInputError("invalid_audio", "The WAV file has no samples.");
      const samples = new Float32Array(frames);
      for (let frame = 0; frame < frames; frame++) {
        let sum = 0;
        for (let channel = 0; channel < format.channels; channel++) {
          sum += readSample(view, body + frame * frameBytes + (channel * format.bitsPerSample) / 8, format);
        }
        samples[frame] = sum / format.channels;
      }
      return { samples, sampleRate: format.sampleRate };
    }
    offset = body + declared + (declared % 2);
  }
  throw new OmniInputError("invalid_audio", "The WAV file has no data chunk.");
}
