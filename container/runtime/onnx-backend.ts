/**
 * The only module that imports onnxruntime (node for cpu/cuda, web for wasm). It maps the
 * engine's plain tensors to ORT tensors without copying and picks the execution provider:
 * "auto" means cuda when onnxruntime-node's CUDA provider libraries are installed, else cpu.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as ortNode from "onnxruntime-node";
import type { EngineTensor, ExecutionProvider, InferenceSession, SessionInputInfo, SessionOptions } from "./inference-session";

type OrtModule = typeof ortNode;
type OrtTensor = ortNode.Tensor;

export type ExecutionProviderSetting = ExecutionProvider | "auto";

/** True when onnxruntime-node's CUDA provider .so files sit next to its native binding. */
export function cudaProviderInstalled(): boolean {
  if (process.platform !== "linux") return false;
  const require = createRequire(import.meta.url);
  const packageDir = dirname(dirname(require.resolve("onnxruntime-node")));
  const binDir = join(packageDir, "bin", "napi-v6", process.platform, process.arch);
  return ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"].every((file) => existsSync(join(binDir, file)));
}

export function resolveExecutionProvider(setting: ExecutionProviderSetting): ExecutionProvider {
  if (setting === "cuda" && !cudaProviderInstalled()) {
    throw new Error(
      "ENGINE_EP=cuda but onnxruntime-node's CUDA provider libraries are not installed; run `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install` (needs network, CUDA 12 + cuDNN 9) or use ENGINE_EP=auto|cpu",
    );
  }
  if (setting !== "auto") return setting;
  return cudaProviderInstalled() ? "cuda" : "cpu";
}

/** The onnxruntime-node version in use (benchmarks print it). */
export function onnxRuntimeVersion(): string {
  return ortNode.env.versions.node ?? ortNode.env.versions.common;
}

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

function describeInputs(session: ortNode.InferenceSession): SessionInputInfo[] {
  return session.inputMetadata.map((meta) =>
    meta.isTensor
      ? { name: meta.name, type: meta.type, dims: meta.shape.map((dim) => (typeof dim === "string" ? dim : dim)) }
      : { name: meta.name, type: "non-tensor", dims: [] },
  );
}

let webModule: Promise<OrtModule> | null = null;

/** onnxruntime-web shares onnxruntime-common's API, so the node typings describe it too. */
async function loadWebRuntime(threads: number): Promise<OrtModule> {
  webModule ??= import("onnxruntime-web").then((module: unknown) => {
    const ort = module as OrtModule;
    ort.env.wasm.numThreads = Math.max(1, threads);
    return ort;
  });
  return webModule;
}

/**
 * Create a session on the chosen provider from a model file path (external data files are
 * resolved next to it) or in-memory bytes.
 *
 * @example
 *   const session = await createInferenceSession("model/onnx/model.onnx", { executionProvider: "cpu" });
 */
export async function createInferenceSession(model: string | Uint8Array, options: SessionOptions): Promise<InferenceSession> {
  const ep = options.executionProvider;
  const ort = ep === "wasm" ? await loadWebRuntime(options.threads ?? 1) : ortNode;
  const sessionOptions: ortNode.InferenceSession.SessionOptions = {
    executionProviders: ep === "cuda" ? ["cuda", "cpu"] : [ep === "wasm" ? "wasm" : "cpu"],
    graphOptimizationLevel: "all",
  };
  if (ep !== "wasm" && options.threads) sessionOptions.intraOpNumThreads = options.threads;
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
