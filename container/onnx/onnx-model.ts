/**
 * ONNX model description (a plain-data subset of onnx.proto) and its encoder.
 * Field numbers follow onnx.proto (IR 8). Weights may go to a side file ("external data")
 * so models above protobuf's 2 GB limit can be written; the sink receives bytes in order,
 * so callers can stream them to disk without holding the whole model twice.
 */
import { ProtoWriter } from "./protobuf-writer";

/** ONNX TensorProto.DataType codes for the element types we use. */
export const ONNX_DATA_TYPE = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
} as const;

export type OnnxDataType = keyof typeof ONNX_DATA_TYPE;

export const BYTES_PER_ELEMENT: Record<OnnxDataType, number> = {
  float32: 4,
  uint8: 1,
  int8: 1,
  int32: 4,
  int64: 8,
  bool: 1,
  float16: 2,
  float64: 8,
  bfloat16: 2,
};

/** A dimension is a fixed size or a symbolic name such as "batch_size". */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  name: string;
  dataType: OnnxDataType;
  dims: readonly OnnxDim[];
}

/** Raw little-endian bytes, or a thunk producing them (lets converters stream weights). */
export type TensorBytes = Uint8Array | (() => Uint8Array);

export interface OnnxTensor {
  name: string;
  dataType: OnnxDataType;
  dims: readonly number[];
  data: TensorBytes;
}

export type OnnxAttributeValue =
  | { kind: "float"; value: number }
  | { kind: "int"; value: number | bigint }
  | { kind: "string"; value: string }
  | { kind: "tensor"; value: OnnxTensor }
  | { kind: "floats"; value: readonly number[] }
  | { kind: "ints"; value: readonly (number | bigint)[] };

export interface OnnxNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  domain?: string;
  attributes?: Readonly<Record<string, OnnxAttributeValue>>;
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
  initializers: readonly OnnxTensor[];
}

export interface OnnxModel {
  graph: OnnxGraph;
  /** Opset per domain; "" is the default ai.onnx domain. */
  opsets: Readonly<Record<string, number>>;
  producerName?: string;
  irVersion?: number;
}

/** Where initializers bigger than `minBytes` go instead of the model file. */
export interface ExternalDataSink {
  /** File name relative to the model file, stored in each tensor's `location`. */
  location: string;
  /** Tensors smaller than this stay inline (default 1024 bytes). */
  minBytes?: number;
  /** Receives the bytes in file order; must write them synchronously or buffer them. */
  write(bytes: Uint8Array): void;
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;
const EXTERNAL_ALIGNMENT = 64;

function resolveBytes(data: TensorBytes): Uint8Array {
  return typeof data === "function" ? data() : data;
}

class ExternalDataWriter {
  private offset = 0;
  readonly location: string;
  constructor(private readonly sink: ExternalDataSink) {
    this.location = sink.location;
  }

  append(bytes: Uint8Array): { offset: number; length: number } {
    const padding = (EXTERNAL_ALIGNMENT - (this.offset % EXTERNAL_ALIGNMENT)) % EXTERNAL_ALIGNMENT;
    if (padding > 0) this.sink.write(new Uint8Array(padding));
    const offset = this.offset + padding;
    this.sink.write(bytes);
    this.offset = offset + bytes.byteLength;
    return { offset, length: bytes.byteLength };
  }
}

function encodeTensor(tensor: OnnxTensor, external: ExternalDataWriter | null, minBytes: number): ProtoWriter {
  const writer = new ProtoWriter();
  writer.packedVarints(1, tensor.dims);
  writer.varint(2, ONNX_DATA_TYPE[tensor.dataType]);
  writer.string(8, tensor.name);
  const bytes = resolveBytes(tensor.data);
  const expected = tensor.dims.reduce((product, dim) => product * dim, 1) * BYTES_PER_ELEMENT[tensor.dataType];
  if (bytes.byteLength !== expected) {
    throw new Error(`tensor ${tensor.name}: ${bytes.byteLength} bytes, expected ${expected} for dims [${tensor.dims.join(",")}]`);
  }
  if (external && bytes.byteLength >= minBytes) {
    const placed = external.append(bytes);
    const entries: [string, string][] = [
      ["location", external.location],
      ["offset", String(placed.offset)],
      ["length", String(placed.length)],
    ];
    for (const [key, value] of entries) writer.message(13, new ProtoWriter().string(1, key).string(2, value));
    writer.varint(14, 1);
  } else {
    writer.bytes(9, bytes);
  }
  return writer;
}

function encodeAttribute(name: string, attribute: OnnxAttributeValue): ProtoWriter {
  const writer = new ProtoWriter().string(1, name);
  switch (attribute.kind) {
    case "float":
      writer.float(2, attribute.value);
      break;
    case "int":
      writer.varint(3, attribute.value);
      break;
    case "string":
      writer.string(4, attribute.value);
      break;
    case "tensor":
      writer.message(5, encodeTensor(attribute.value, null, Infinity));
      break;
    case "floats":
      writer.packedFloats(7, attribute.value);
      break;
    case "ints":
      writer.packedVarints(8, attribute.value);
      break;
  }
  writer.varint(20, ATTRIBUTE_TYPE[attribute.kind]);
  return writer;
}

function encodeNode(node: OnnxNode): ProtoWriter {
  const writer = new ProtoWriter();
  for (const input of node.inputs) writer.string(1, input);
  for (const output of node.outputs) writer.string(2, output);
  writer.string(3, node.name);
  writer.string(4, node.opType);
  for (const [name, attribute] of Object.entries(node.attributes ?? {})) {
    writer.message(5, encodeAttribute(name, attribute));
  }
  if (node.domain) writer.string(7, node.domain);
  return writer;
}

function encodeValueInfo(info: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of info.dims) {
    const dimension = new ProtoWriter();
    if (typeof dim === "number") dimension.varint(1, dim);
    else dimension.string(2, dim);
    shape.message(1, dimension);
  }
  const tensorType = new ProtoWriter().varint(1, ONNX_DATA_TYPE[info.dataType]).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, info.name).message(2, type);
}

/**
 * Serialize a model to ModelProto bytes. With `external`, initializers of at least
 * `minBytes` are appended (64-byte aligned) to the sink and referenced by offset.
 *
 * @example
 *   const bytes = encodeOnnxModel(builder.toModel());
 *   writeFileSync("model.onnx", bytes);
 */
export function encodeOnnxModel(model: OnnxModel, external?: ExternalDataSink): Uint8Array {
  const externalWriter = external ? new ExternalDataWriter(external) : null;
  const minBytes = external?.minBytes ?? 1024;
  const graph = new ProtoWriter();
  for (const node of model.graph.nodes) graph.message(1, encodeNode(node));
  graph.string(2, model.graph.name);
  for (const tensor of model.graph.initializers) graph.message(5, encodeTensor(tensor, externalWriter, minBytes));
  for (const input of model.graph.inputs) graph.message(11, encodeValueInfo(input));
  for (const output of model.graph.outputs) graph.message(12, encodeValueInfo(output));

  const writer = new ProtoWriter();
  writer.varint(1, model.irVersion ?? 8);
  writer.string(2, model.producerName ?? "megrez-edge");
  writer.message(7, graph);
  for (const [domain, version] of Object.entries(model.opsets)) {
    writer.message(8, new ProtoWriter().string(1, domain).varint(2, version));
  }
  return writer.finish();
}
