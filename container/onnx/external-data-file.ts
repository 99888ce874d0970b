/**
 * An ExternalDataSink backed by a file: weights are written as the encoder produces them
 * (write(2) may write less than asked for very large buffers, so it loops).
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { basename } from "node:path";
import type { ExternalDataSink } from "./onnx-model";

export interface ExternalDataFile {
  sink: ExternalDataSink;
  bytesWritten(): number;
  close(): void;
}

/**
 * @example
 *   const data = openExternalDataFile("out/onnx/model.onnx_data");
 *   try { writeFileSync("out/onnx/model.onnx", encodeOnnxModel(model, data.sink)); } finally { data.close(); }
 */
export function openExternalDataFile(path: string): ExternalDataFile {
  const fd = openSync(path, "w");
  let written = 0;
  return {
    sink: {
      location: basename(path),
      write(bytes) {
        let offset = 0;
        while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset, Math.min(bytes.byteLength - offset, 1 << 30));
        written += bytes.byteLength;
      },
    },
    bytesWritten: () => written,
    close: () => closeSync(fd),
  };
}
