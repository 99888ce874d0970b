/**
 * Audio bytes → mono float samples: WAV through our reader, MP3 (MPEG layer I/II/III) through mpg123 compiled to
 * WebAssembly (`mpg123-decoder`). The format is sniffed from the bytes, never trusted from a file name or MIME type.
 */
import { MPEGDecoder } from "mpg123-decoder";
import { OmniInputError } from "./omni-input-error";
import { decodeWav, isWav, type DecodedAudio } from "./wav-decode";

export type { DecodedAudio } from "./wav-decode";

function looksLikeMp3(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 4) return false;
  if (bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33) return true; // "ID3" tag
  return bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0; // MPEG frame sync
}

async function decodeMp3(bytes: Uint8Array): Promise<DecodedAudio> {
  const decoder = new MPEGDecoder();
  await decoder.ready;
  try {
    const decoded = decoder.decode(bytes);
    const channels = decoded.channelData.filter((channel) => channel.length > 0);
    if (decoded.samplesDecoded === 0 || channels.length === 0) {
      throw new OmniInputError("invalid_audio", "The MP3 stream has no decodable frames.");
    }
    const length = Math.min(...channels.map((channel) => channel.length), decoded.samplesDecoded);
    const samples = new Float32Array(length);
    for (const channel of channels) for (let i = 0; i < length; i++) samples[i]! += channel[i]! / channels.length;
    return { samples, sampleRate: decoded.sampleRate };
  } finally {
    decoder.free();
  }
}

export async function decodeAudio(bytes: Uint8Array): Promise<DecodedAudio> {
  if (isWav(bytes)) return decodeWav(bytes);
  if (looksLikeMp3(bytes)) return decodeMp3(bytes);
  throw new OmniInputError("invalid_audio", "Unsupported audio format: send WAV or MP3.");
}
