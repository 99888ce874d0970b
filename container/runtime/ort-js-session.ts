/**
 * Sessions on ONNX Runtime's JS packages: onnxruntime-web (wasm) and onnxruntime-node (the fallback when the
 * native layer cannot load). They map the engine's plain tensors to ORT tensors without copying; outputs come
 * back as host tensors. Both packages are imported only when used.
 */
import type * as OrtNodeModule from "onnxruntime-node";
import type { EngineTensor, ExecutionProvider, InferenceSession, SessionInputInfo } from "./inference-session";

type OrtModule = typeof OrtNodeModule;
type OrtTensor = OrtNodeModule.Tensor;

function toOrt(ort: OrtModule, tensor: EngineTensor): OrtTensor {
  return new ort.Tensor(tensor.type, tensor.data, [...tensor.dims]);
}

function fromOrt(name: string, tensor: OrtTensor): EngineTensor {
  const dims = [...tensor.dims];
  const data = tensor.data;
  if (tensor.type === "float32" && data instanceof Float32Array) return { type: "float32", dims, data };
  if (tensor.type === "float16" && data instanceof Uint16Array) return { type: "float16", dims, data };
  if (tensor.type === "int64" && data instanceof BigInt64Array) return { type: "int64", dims, data };
  if (tensor.type === "int32" && data instanceof Int32Array) return { type: "int32", dims, data };
  throw new Error(`output ${name}: unsupported tensor type ${tensor.type}`);
}

function describeInputs(session: OrtNodeModule.InferenceSession): SessionInputInfo[] {
  return session.inputMetadata.map((meta) =>
    meta.isTensor ? { name: meta.name, type: meta.type, dims: meta.shape.map((dim) => dim) } : { name: meta.name, type: "non-tensor", dims: [] },
  );
}

let nodeModule: Promise<OrtModule> | null = null;
let webModule: Promise<OrtModule> | null = null;

export function loadOrtNode(): Promise<OrtModule> {
  nodeModule ??= import("onnxruntime-node");
  return nodeModule;
}

/** onnxruntime-web shares onnxruntime-common's API, so the node typings describe it too. */
function loadOrtWeb(threads: number): Promise<OrtModule> {
  webModule ??= import("onnxruntime-web").then((module: unknown) => {
    const ort = module as OrtModule;
    ort.env.wasm.numThreads = Math.max(1, threads);
    return ort;
  });
  return webModule;
}

/**
 * A session on onnxruntime-node (cpu, or cuda through its own provider libraries) or onnxruntime-web (wasm).
 *
 * @example
 *   const session = await createJsSession(bytes, "wasm", 1);
 */
export async function createJsSession(model: string | Uint8Array, ep: ExecutionProvider, threads: number): Promise<InferenceSession> {
  const ort = ep === "wasm" ? await loadOrtWeb(threads || 1) : await loadOrtNode();
  const sessionOptions: OrtNodeModule.InferenceSession.SessionOptions = {
    executionProviders: ep === "cuda" ? ["cuda", "cpu"] : [ep === "wasm" ? "wasm" : "cpu"],
    graphOptimizationLevel: "all",
  };
  if (ep !== "wasm" && threads) sessionOptions.intraOpNumThreads = threads;
  const session =
    typeof model === "string" ? await ort.InferenceSession.create(model, sessionOptions) : await ort.InferenceSession.create(model, sessionOptions);
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputs: describeInputs(session),
    executionProvider: ep,
    async run(feeds, bound) {
      const ortFeeds: Record<string, OrtTensor> = {};
      for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrt(ort, tensor);
      let results: Record<string, OrtTensor>;
      if (bound) {
        // ORT tensors wrap the typed arrays without copying: an output bound to an input's array writes into it.
        const fetches: Record<string, OrtTensor | null> = {};
        for (const name of session.outputNames) {
          const target = bound[name];
          fetches[name] = target ? toOrt(ort, target) : null;
        }
        results = await session.run(ortFeeds, fetches);
      } else {
        results = await session.run(ortFeeds);
      }
      const out: Record<string, EngineTensor> = {};
      for (const [name, tensor] of Object.entries(results)) if (!bound?.[name]) out[name] = fromOrt(name, tensor);
      return out;
    },
    release: () => session.release(),
  };
}
