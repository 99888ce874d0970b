/**
 * Minimal protobuf wire-format writer: just what ONNX's ModelProto needs (varints,
 * length-delimited fields, fixed32 floats). Messages are built bottom-up as byte arrays,
 * which keeps the encoder dependency-free and easy to audit against onnx.proto.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const textEncoder = new TextEncoder();

/** Growable byte buffer with protobuf field helpers. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];

  private flushScratch(): void {
    if (this.scratch.length > 0) {
      this.chunks.push(Uint8Array.from(this.scratch));
      this.scratch = [];
    }
  }

  private pushVarint(value: bigint): void {
    // Negative int64 values are encoded as their 64-bit two's complement (10 bytes).
    let remaining = BigInt.asUintN(64, value);
    while (remaining >= 0x80n) {
      this.scratch.push(Number(remaining & 0x7fn) | 0x80);
      remaining >>= 7n;
    }
    this.scratch.push(Number(remaining));
  }

  private pushTag(field: number, wireType: number): void {
    this.pushVarint(BigInt((field << 3) | wireType));
  }

  varint(field: number, value: number | bigint): this {
    this.pushTag(field, WIRE_VARINT);
    this.pushVarint(BigInt(value));
    return this;
  }

  float(field: number, value: number): this {
    this.pushTag(field, WIRE_FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.scratch.push(...bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.pushTag(field, WIRE_LENGTH_DELIMITED);
    this.pushVarint(BigInt(value.byteLength));
    this.flushScratch();
    // Large payloads (weights) are referenced, not copied, until finish().
    this.chunks.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  message(field: number, inner: ProtoWriter): this {
    return this.bytes(field, inner.finish());
  }

  /** Packed repeated int64 (proto3 default for repeated scalars). */
  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const value of values) inner.pushVarint(BigInt(value));
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: readonly number[]): this {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (const [index, value] of values.entries()) view.setFloat32(index * 4, value, true);
    return this.bytes(field, bytes);
  }

  finish(): Uint8Array {
    this.flushScratch();
    const total = this.chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }
}
