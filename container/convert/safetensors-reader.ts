/**
 * Reads Hugging Face safetensors checkpoints (single file or sharded with an index) lazily:
 * only headers are parsed up front; each tensor's bytes are read from disk when asked for, so
 * multi-GB checkpoints are never held in memory whole.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { bfloat16ToFloat32Array, float16ToFloat32Array } from "../onnx/tensor-bytes";

const headerEntrySchema = z.object({
  dtype: z.enum(["F32", "F16", "BF16", "F64", "I64", "I32", "I8", "U8", "BOOL"]),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});

export type SafetensorsDtype = z.infer<typeof headerEntrySchema>["dtype"];

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  file: string;
  /** Absolute byte range in the file. */
  start: number;
  end: number;
}

const indexSchema = z.object({ weight_map: z.record(z.string(), z.string()) });

function readHeader(file: string): TensorEntry[] {
  const fd = openSync(file, "r");
  try {
    const lengthBytes = Buffer.alloc(8);
    readSync(fd, lengthBytes, 0, 8, 0);
    const headerLength = Number(lengthBytes.readBigUInt64LE(0));
    if (headerLength > 100_000_000) throw new Error(`${file}: implausible safetensors header length ${headerLength}`);
    const headerBytes = Buffer.alloc(headerLength);
    readSync(fd, headerBytes, 0, headerLength, 8);
    const header: unknown = JSON.parse(headerBytes.toString("utf8"));
    const record = z.record(z.string(), z.unknown()).parse(header);
    const entries: TensorEntry[] = [];
    for (const [name, value] of Object.entries(record)) {
      if (name === "__metadata__") continue;
      const entry = headerEntrySchema.parse(value);
      entries.push({
        name,
        dtype: entry.dtype,
        shape: entry.shape,
        file,
        start: 8 + headerLength + entry.data_offsets[0],
        end: 8 + headerLength + entry.data_offsets[1],
      });
    }
    return entries;
  } finally {
    closeSync(fd);
  }
}

export class SafetensorsCheckpoint {
  private constructor(private readonly entries: Map<string, TensorEntry>) {}

  /** Open `dir`'s model.safetensors, or the shards listed in model.safetensors.index.json. */
  static open(dir: string): SafetensorsCheckpoint {
    const indexPath = join(dir, "model.safetensors.index.json");
    let files: string[];
    if (existsSync(indexPath)) {
      const index = indexSchema.parse(JSON.parse(readFileSync(indexPath, "utf8")));
      files = [...new Set(Object.values(index.weight_map))].map((file) => join(dir, file));
    } else {
      files = readdirSync(dir)
        .filter((file) => file.endsWith(".safetensors"))
        .sort()
        .map((file) => join(dir, file));
    }
    if (files.length === 0) throw new Error(`no .safetensors files in ${dir}`);
    const entries = new Map<string, TensorEntry>();
    for (const file of files) for (const entry of readHeader(file)) entries.set(entry.name, entry);
    return new SafetensorsCheckpoint(entries);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Every tensor name in the checkpoint (all shards). */
  names(): string[] {
    return [...this.entries.keys()];
  }

  entry(name: string): TensorEntry {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`checkpoint has no tensor ${name}`);
    return entry;
  }

  /** Read a tensor and widen it to float32. */
  readFloat32(name: string): { shape: number[]; data: Float32Array } {
    const entry = this.entry(name);
    const bytes = Buffer.alloc(entry.end - entry.start);
    const fd = openSync(entry.file, "r");
    try {
      // read(2) may return fewer bytes than asked for large tensors.
      let offset = 0;
      while (offset < bytes.length) {
        const read = readSync(fd, bytes, offset, Math.min(bytes.length - offset, 1 << 30), entry.start + offset);
        if (read === 0) throw new Error(`${entry.file} ends inside tensor ${name}`);
        offset += read;
      }
    } finally {
      closeSync(fd);
    }
    const aligned = new Uint8Array(bytes).buffer;
    if (entry.dtype === "F32") return { shape: entry.shape, data: new Float32Array(aligned) };
    if (entry.dtype === "F16" || entry.dtype === "BF16") {
      const bits = new Uint16Array(aligned);
      return { shape: entry.shape, data: entry.dtype === "BF16" ? bfloat16ToFloat32Array(bits) : float16ToFloat32Array(bits) };
    }
    if (entry.dtype === "F64") return { shape: entry.shape, data: Float32Array.from(new Float64Array(aligned)) };
    throw new Error(`tensor ${name} has dtype ${entry.dtype}, expected a float type`);
  }
}
