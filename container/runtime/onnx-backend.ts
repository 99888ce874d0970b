/**
 * Picks the runtime and execution provider for the engine's sessions. cpu and cuda go through the native layer
 * (ONNX Runtime's C API via koffi: in-place I/O binding, device memory); wasm through onnxruntime-web. With
 * ENGINE_ORT_LIBRARY unset the native layer loads the CPU library inside onnxruntime-node, and if it cannot
 * load at all the engine falls back to onnxruntime-node's own binding, saying so in a log line. A library the
 * operator named explicitly is never replaced: a missing or wrong file is one startup error.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ExecutionProvider, InferenceSession } from "./inference-session";
import { NativeSession } from "./native-session";
import { bundledOrtLibraryPath, loadOrtLibrary, type OrtLibrary, OrtLibraryError } from "./ort-library";
import { createJsSession, loadOrtNode } from "./ort-js-session";

export type ExecutionProviderSetting = ExecutionProvider | "auto";

/** Which code runs the sessions: the native layer, or a JS package (onnxruntime-node fallback, onnxruntime-web). */
export type RuntimeKind = "native" | "onnxruntime-node" | "onnxruntime-web";

const CUDA_PROVIDER_FILES = ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"];

/** True when ONNX Runtime's CUDA provider libraries sit next to the ORT library at `libraryPath`. */
export function cudaProviderInstalled(libraryPath: string = bundledOrtLibraryPath()): boolean {
  if (process.platform !== "linux") return false;
  return CUDA_PROVIDER_FILES.every((file) => existsSync(join(dirname(libraryPath), file)));
}

export function resolveExecutionProvider(setting: ExecutionProviderSetting, libraryPath: string = bundledOrtLibraryPath()): ExecutionProvider {
  if (setting === "cuda" && !cudaProviderInstalled(libraryPath)) {
    throw new Error(
      `ENGINE_EP=cuda but ${CUDA_PROVIDER_FILES.join(" and ")} are not next to ${libraryPath}; set ENGINE_ORT_LIBRARY to a CUDA build of ONNX Runtime (docs/engine.md, "GPU") or use ENGINE_EP=auto|cpu`,
    );
  }
  if (setting !== "auto") return setting;
  return cudaProviderInstalled(libraryPath) ? "cuda" : "cpu";
}

export interface RuntimeSettings {
  executionProvider: ExecutionProviderSetting;
  /** ENGINE_ORT_LIBRARY: the ONNX Runtime library to load; unset = onnxruntime-node's CPU library. */
  ortLibrary?: string;
  /** Force a runtime (tests and benchmarks compare them); unset = native, falling back to onnxruntime-node. */
  runtime?: "native" | "onnxruntime-node";
  threads?: number;
  cudaDeviceId?: number;
  log?: (line: string) => void;
}

export interface Runtime {
  readonly kind: RuntimeKind;
  readonly executionProvider: ExecutionProvider;
  /** ONNX Runtime's version string. */
  readonly version: string;
  createSession(model: string | Uint8Array, options?: { optimization?: "all" | "none" }): Promise<InferenceSession>;
}

function nativeRuntime(ort: OrtLibrary, ep: "cpu" | "cuda", settings: RuntimeSettings): Runtime {
  return {
    kind: "native",
    executionProvider: ep,
    version: ort.version,
    createSession: (model, options) =>
      NativeSession.create(ort, model, {
        executionProvider: ep,
        threads: settings.threads ?? 0,
        cudaDeviceId: settings.cudaDeviceId ?? 0,
        optimization: options?.optimization ?? "all",
      }),
  };
}

async function nodeRuntime(ep: ExecutionProvider, threads: number): Promise<Runtime> {
  const ort = await loadOrtNode();
  return {
    kind: "onnxruntime-node",
    executionProvider: ep,
    version: ort.env.versions.node ?? ort.env.versions.common,
    createSession: (model) => createJsSession(model, ep, threads),
  };
}

/**
 * Open the runtime the settings ask for. Throws one clear error for an unusable ENGINE_ORT_LIBRARY.
 *
 * @example
 *   const runtime = await openRuntime({ executionProvider: "auto", ortLibrary: process.env.ENGINE_ORT_LIBRARY, log: console.error });
 *   const session = await runtime.createSession("model/onnx/model.onnx");
 */
export async function openRuntime(settings: RuntimeSettings): Promise<Runtime> {
  const threads = settings.threads ?? 0;
  if (settings.executionProvider === "wasm") {
    const { version } = await import("onnxruntime-web").then((module) => ({ version: module.env.versions.web ?? module.env.versions.common }));
    return { kind: "onnxruntime-web", executionProvider: "wasm", version, createSession: (model) => createJsSession(model, "wasm", threads) };
  }
  if (settings.runtime === "onnxruntime-node") {
    return nodeRuntime(resolveExecutionProvider(settings.executionProvider, bundledOrtLibraryPath()), threads);
  }
  const libraryPath = settings.ortLibrary ?? bundledOrtLibraryPath();
  const ep = resolveExecutionProvider(settings.executionProvider, libraryPath);
  if (ep === "wasm") throw new Error("unreachable: wasm handled above");
  try {
    return nativeRuntime(loadOrtLibrary(libraryPath), ep, settings);
  } catch (error) {
    if (!(error instanceof OrtLibraryError) || settings.ortLibrary !== undefined || settings.runtime === "native") throw error;
    settings.log?.(`engine: the native ONNX Runtime layer did not load (${error.message}); using onnxruntime-node, which copies the KV cache every step`);
    return nodeRuntime(ep, threads);
  }
}

/**
 * One session on the chosen provider from a model file path (external data next to it) or bytes. Tests and
 * benchmarks use it; the engine opens a runtime once and creates its sessions from it.
 *
 * @example
 *   const session = await createInferenceSession("model/onnx/model.onnx", { executionProvider: "cpu" });
 */
export async function createInferenceSession(model: string | Uint8Array, settings: RuntimeSettings): Promise<InferenceSession> {
  return (await openRuntime(settings)).createSession(model);
}

/** The ONNX Runtime version the default runtime uses (benchmarks print it). */
export async function onnxRuntimeVersion(settings: Partial<RuntimeSettings> = {}): Promise<string> {
  const runtime = await openRuntime({ executionProvider: "cpu", ...settings });
  return `${runtime.version} (${runtime.kind})`;
}
