// Test helper: writes small RIFF/WAVE files (PCM 16/24-bit or float32) so the reader is tested on bytes we control.
export type WavFormat = "pcm16" | "pcm24" | "float32";

export function encodeWav(channels: Float32Array[], sampleRate: number, format: WavFormat): Uint8Array {
  const bytesPerSample = format === "pcm16" ? 2 : format === "pcm24" ? 3 : 4;
  const frames = channels[0]?.length ?? 0;
  const dataSize = frames * channels.length * bytesPerSample;
  const buffer = new ArrayBuffer(44 + dataSize);
  const view = new DataView(buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) view.setUint8(offset + i, text.charCodeAt(i));
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + dataSize, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, format === "float32" ? 3 : 1, true);
  view.setUint16(22, channels.length, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels.length * bytesPerSample, true);
  view.setUint16(32, channels.length * bytesPerSample, true);
  view.setUint16(34, bytesPerSample * 8, true);
  ascii(36, "data");
  view.setUint32(40, dataSize, true);
  let offset = 44;
  for (let frame = 0; frame < frames; frame++) {
    for (const channel of channels) {
      const value = Math.max(-1, Math.min(1, channel[frame]!));
      if (format === "float32") view.setFloat32(offset, value, true);
      else if (format === "pcm16") view.setInt16(offset, Math.round(value * 32767), true);
      else {
        const int = Math.round(value * 8388607);
        view.setUint8(offset, int & 0xff);
        view.setUint8(offset + 1, (int >> 8) & 0xff);
        view.setInt8(offset + 2, int >> 16);
      }
      offset += bytesPerSample;
    }
  }
  return new Uint8Array(buffer);
}
