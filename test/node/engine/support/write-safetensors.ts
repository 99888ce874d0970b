/**
 * Writes a tiny HF-style LlamaForCausalLM safetensors checkpoint (Linear weights [out, in],
 * F32 or BF16) from our `x @ W` weights, for converter tests.
 */
import { writeFileSync } from "node:fs";
import { llamaConfigJson, type LlamaDims } from "../../../../container/model/llama-dims";

function hfLayout(name: string, data: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  if (!(name.endsWith("_proj.weight") || name === "lm_head.weight")) return { data, shape: [...shape] };
  const [rows = 0, columns = 0] = shape;
  const out = new Float32Array(data.length);
  for (let row = 0; row < rows; row++) for (let column = 0; column < columns; column++) out[column * rows + row] = data[row * columns + column] ?? 0;
  return { data: out, shape: [columns, rows] };
}

/** Round-to-nearest-even float32 -> bfloat16 bits. */
export function toBfloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  return Uint16Array.from(bits, (value) => (value + 0x7fff + ((value >>> 16) & 1)) >>> 16);
}

export function bfloat16Round(values: Float32Array): Float32Array {
  const rounded = toBfloat16(values);
  return new Float32Array(Uint32Array.from(rounded, (value) => value << 16).buffer);
}

export function writeSafetensors(path: string, weights: ReadonlyMap<string, Float32Array>, shapes: ReadonlyMap<string, number[]>, dtype: "F32" | "BF16"): void {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, values] of weights) {
    const { data, shape } = hfLayout(name, values, shapes.get(name) ?? []);
    const bytes = dtype === "F32" ? new Uint8Array(data.buffer) : new Uint8Array(toBfloat16(data).buffer);
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(headerBytes.length));
  writeFileSync(path, Buffer.concat([length, headerBytes, ...chunks]));
}

/** A HF checkpoint's config.json (bf16, as Megrez-3B ships). */
export function hfConfig(dims: LlamaDims, eosTokenId: number): object {
  return llamaConfigJson(dims, { eosTokenId, torchDtype: "bfloat16" });
}
