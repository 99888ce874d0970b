/**
 * The protobuf field helpers ONNX's ModelProto needs, over protobufjs's wire writer (the
 * library onnxruntime-web already brings): varints, length-delimited fields, fixed32 floats
 * and packed repeated scalars. Messages are still built bottom-up, one writer per message,
 * so onnx-model.ts reads like onnx.proto: field number, then value.
 */
import protobuf from "protobufjs/minimal.js";

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** A 64-bit value as protobufjs takes it ({ low, high } words), exact beyond 2^53 and for negatives. */
function int64(value: number | bigint): protobuf.Long | number {
  if (typeof value === "number") return value;
  const bits = BigInt.asUintN(64, value);
  // protobufjs reads only `low` and `high` (LongBits.from); no `long` package is needed.
  return { low: Number(bits & 0xffff_ffffn), high: Number(bits >> 32n), unsigned: false } as protobuf.Long;
}

/** One protobuf message under construction. */
export class ProtoWriter {
  private readonly writer = protobuf.Writer.create();

  private tag(field: number, wireType: number): protobuf.Writer {
    return this.writer.uint32((field << 3) | wireType);
  }

  varint(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT).int64(int64(value));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32).float(value);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED).bytes(value);
    return this;
  }

  string(field: number, value: string): this {
    this.tag(field, WIRE_LENGTH_DELIMITED).string(value);
    return this;
  }

  message(field: number, inner: ProtoWriter): this {
    return this.bytes(field, inner.finish());
  }

  /** Packed repeated int64 (proto3 default for repeated scalars). */
  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const packed = this.tag(field, WIRE_LENGTH_DELIMITED).fork();
    for (const value of values) packed.int64(int64(value));
    packed.ldelim();
    return this;
  }

  packedFloats(field: number, values: readonly number[]): this {
    const packed = this.tag(field, WIRE_LENGTH_DELIMITED).fork();
    for (const value of values) packed.float(value);
    packed.ldelim();
    return this;
  }

  finish(): Uint8Array {
    return this.writer.finish();
  }
}
