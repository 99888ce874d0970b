/**
 * Imperative ONNX graph builder: declare inputs, initializers and ops; get back value names.
 * Generic (no model knowledge), so decoder, vision and audio graphs share it.
 *
 * @example
 *   const g = new GraphBuilder("add-one");
 *   const x = g.input("x", "float32", ["batch", 4]);
 *   const y = g.op("Add", [x, g.constFloat32([1])]);
 *   g.output(y, "y", "float32", ["batch", 4]);
 *   const bytes = encodeOnnxModel(g.toModel());
 */
import type { OnnxAttributeValue, OnnxDataType, OnnxDim, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo, TensorBytes } from "./onnx-model";
import { bytesOf, int64Bytes } from "./tensor-bytes";

export type AttributeInput = number | string | readonly number[] | { float: number } | { floats: readonly number[] } | OnnxAttributeValue;

export interface OpOptions {
  attributes?: Record<string, AttributeInput>;
  /** Output names to use, or how many anonymous outputs to create (default 1). */
  outputs?: readonly string[] | number;
  domain?: string;
}

function toAttribute(value: AttributeInput): OnnxAttributeValue {
  if (typeof value === "number") return Number.isInteger(value) ? { kind: "int", value } : { kind: "float", value };
  if (typeof value === "string") return { kind: "string", value };
  if (Array.isArray(value)) return { kind: "ints", value };
  if ("kind" in value) return value;
  if ("float" in value) return { kind: "float", value: value.float };
  if ("floats" in value) return { kind: "floats", value: value.floats };
  throw new Error("unsupported attribute value");
}

export class GraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly inputs: OnnxValueInfo[] = [];
  private readonly outputs: OnnxValueInfo[] = [];
  private readonly initializers: OnnxTensor[] = [];
  private readonly constantCache = new Map<string, string>();
  private counter = 0;
  private scope = "";

  constructor(readonly name: string) {}

  /** Prefix generated names (e.g. "layers.3") while `body` runs. */
  inScope<T>(scope: string, body: () => T): T {
    const previous = this.scope;
    this.scope = previous ? `${previous}.${scope}` : scope;
    try {
      return body();
    } finally {
      this.scope = previous;
    }
  }

  private fresh(hint: string): string {
    this.counter += 1;
    return `${this.scope ? `/${this.scope}/` : "/"}${hint}_${this.counter}`;
  }

  input(name: string, dataType: OnnxDataType, dims: readonly OnnxDim[]): string {
    this.inputs.push({ name, dataType, dims });
    return name;
  }

  /** Expose `value` as a graph output named `name` (adds an Identity when names differ). */
  output(value: string, name: string, dataType: OnnxDataType, dims: readonly OnnxDim[]): string {
    if (value !== name) this.op("Identity", [value], { outputs: [name] });
    this.outputs.push({ name, dataType, dims });
    return name;
  }

  initializer(name: string, dataType: OnnxDataType, dims: readonly number[], data: TensorBytes): string {
    this.initializers.push({ name, dataType, dims, data });
    return name;
  }

  /** Small constants are deduplicated by value so repeated helpers do not bloat the graph. */
  private constant(dataType: OnnxDataType, dims: readonly number[], data: Uint8Array): string {
    const key = `${dataType}|${dims.join(",")}|${Array.from(data).join(",")}`;
    const cached = this.constantCache.get(key);
    if (cached) return cached;
    this.counter += 1;
    const name = `/const/${dataType}_${this.counter}`;
    this.initializers.push({ name, dataType, dims, data });
    this.constantCache.set(key, name);
    return name;
  }

  /** int64 constant; pass `dims: []` for a scalar. */
  constInt64(values: readonly (number | bigint)[], dims: readonly number[] = [values.length]): string {
    return this.constant("int64", dims, int64Bytes(values));
  }

  constFloat32(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant("float32", dims, bytesOf(Float32Array.from(values)));
  }

  /** Add a node; returns its output names. */
  ops(opType: string, inputs: readonly string[], options: OpOptions = {}): string[] {
    const outputs =
      typeof options.outputs === "number" || options.outputs === undefined
        ? Array.from({ length: typeof options.outputs === "number" ? options.outputs : 1 }, () => this.fresh(opType))
        : [...options.outputs];
    const attributes: Record<string, OnnxAttributeValue> = {};
    for (const [key, value] of Object.entries(options.attributes ?? {})) attributes[key] = toAttribute(value);
    const node: OnnxNode = { opType, inputs, outputs, name: this.fresh(`${opType}_node`), attributes };
    this.nodes.push(options.domain ? { ...node, domain: options.domain } : node);
    return outputs;
  }

  /** Add a single-output node; returns the output name. */
  op(opType: string, inputs: readonly string[], options: OpOptions = {}): string {
    const [output] = this.ops(opType, inputs, options);
    if (output === undefined) throw new Error(`${opType}: no output`);
    return output;
  }

  toModel(opsets: Readonly<Record<string, number>> = { "": 17 }): OnnxModel {
    return {
      graph: { name: this.name, nodes: this.nodes, inputs: this.inputs, outputs: this.outputs, initializers: this.initializers },
      opsets,
    };
  }
}
