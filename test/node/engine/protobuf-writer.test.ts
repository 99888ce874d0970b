/**
 * The ONNX writer's protobuf field helpers produce the wire bytes of the protobuf encoding
 * guide's own examples, and the 64-bit edge cases ONNX attributes use (axis -1, INT64_MAX).
 */
import { describe, expect, it } from "vitest";
import { ProtoWriter } from "../../../container/onnx/protobuf-writer";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("ProtoWriter", () => {
  it("writes a varint field as the encoding guide does (150 → 08 96 01)", () => {
    expect(hex(new ProtoWriter().varint(1, 150).finish())).toBe("089601");
  });

  it("writes negative and full-width int64 values exactly", () => {
    expect(hex(new ProtoWriter().varint(1, -1).finish())).toBe(`08${"ff".repeat(9)}01`);
    expect(hex(new ProtoWriter().varint(1, -1n).finish())).toBe(`08${"ff".repeat(9)}01`);
    expect(hex(new ProtoWriter().varint(1, 2n ** 63n - 1n).finish())).toBe(`08${"ff".repeat(8)}7f`);
    expect(hex(new ProtoWriter().varint(1, 2n ** 53n + 1n).finish())).toBe("088180808080808010");
  });

  it("packs repeated scalars (the guide's [3, 270, 86942] → 22 06 03 8e 02 9e a7 05)", () => {
    expect(hex(new ProtoWriter().packedVarints(4, [3, 270, 86942]).finish())).toBe("2206038e029ea705");
    expect(hex(new ProtoWriter().packedFloats(7, [1, -2]).finish())).toBe("3a08" + "0000803f" + "000000c0");
  });

  it("writes strings, fixed32 floats and nested messages length-delimited", () => {
    expect(hex(new ProtoWriter().string(2, "testing").finish())).toBe("120774657374696e67");
    expect(hex(new ProtoWriter().float(2, 0.5).finish())).toBe("150000003f");
    const inner = new ProtoWriter().varint(1, 150);
    expect(hex(new ProtoWriter().message(3, inner).finish())).toBe("1a03089601");
  });
});
