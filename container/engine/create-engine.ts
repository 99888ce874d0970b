/**
 * Wires a model folder into a ready engine: sessions on the chosen execution provider,
 * tokenizer/template codec, decoder runner and the continuous-batching scheduler.
 */
import { readFileSync } from "node:fs";
import { type ExecutionProviderSetting, openRuntime, type Runtime, type RuntimeKind } from "../runtime/onnx-backend";
import type { ExecutionProvider, InferenceSession } from "../runtime/inference-session";
import { BatchScheduler } from "./batch-scheduler";
import { DecoderRunner } from "./decoder-runner";
import { EngineMetrics } from "./engine-metrics";
import { type ModelFolder, loadModelFolder } from "./model-folder";
import { TextCodec } from "./text-codec";
import { OmniSupport } from "../omni/omni-support";

export interface EngineOptions {
  modelDir: string;
  executionProvider: ExecutionProviderSetting;
  /** ENGINE_ORT_LIBRARY: the ONNX Runtime library the native layer loads (unset: onnxruntime-node's CPU one). */
  ortLibrary?: string;
  /** Force a runtime (tests, benchmarks); unset = native, falling back to onnxruntime-node with a log line. */
  runtime?: "native" | "onnxruntime-node";
  /** CUDA graphs for decode steps (ENGINE_CUDA_GRAPH, off by default). */
  cudaGraph?: boolean;
  threads?: number;
  maxBatch: number;
  maxQueue: number;
  requestTimeoutMs: number;
  /** Receives operational notes (e.g. an execution-provider fallback). */
  log?: (line: string) => void;
  /** Caps the context below config.json's max_position_embeddings. */
  maxModelLen?: number;
  /** Bytes of prompt KV kept for automatic prefix caching (default 0: off). */
  prefixCacheBytes?: number;
}

export interface Engine {
  folder: ModelFolder;
  codec: TextCodec;
  scheduler: BatchScheduler;
  metrics: EngineMetrics;
  executionProvider: ExecutionProvider;
  /** What runs the sessions: the native layer, or onnxruntime-node / onnxruntime-web. */
  runtimeKind: RuntimeKind;
  maxModelLen: number;
  /** Image/audio input (Megrez-Omni folders); null for text-only models. */
  omni: OmniSupport | null;
  release(): Promise<void>;
}

/**
 * @example
 *   const engine = await createEngine({ modelDir: ".cache/models/megrez-demo", executionProvider: "auto", maxBatch: 8, maxQueue: 64, requestTimeoutMs: 120000 });
 */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  const folder = loadModelFolder(options.modelDir);
  const settings = {
    executionProvider: options.executionProvider,
    threads: options.threads ?? 0,
    cudaGraph: options.cudaGraph ?? false,
    ...(options.ortLibrary ? { ortLibrary: options.ortLibrary } : {}),
    ...(options.runtime ? { runtime: options.runtime } : {}),
    ...(options.log ? { log: options.log } : {}),
  };
  let runtime: Runtime = await openRuntime(settings);
  // onnxruntime-web cannot read files itself in every host; give it bytes.
  const source = (path: string): string | Uint8Array => (runtime.executionProvider === "wasm" ? readFileSync(path) : path);
  let decoder: InferenceSession;
  try {
    decoder = await runtime.createSession(source(folder.decoderPath));
  } catch (error) {
    // "auto" found the CUDA libraries, but they may not load (no GPU, driver or cuDNN): fall back to cpu.
    if (options.executionProvider !== "auto" || runtime.executionProvider !== "cuda") throw error;
    options.log?.(`engine: cuda execution provider failed (${error instanceof Error ? error.message : String(error)}); using cpu`);
    runtime = await openRuntime({ ...settings, executionProvider: "cpu" });
    decoder = await runtime.createSession(source(folder.decoderPath));
  }
  const executionProvider = runtime.executionProvider;
  const embedTokens = folder.embedTokensPath ? await runtime.createSession(source(folder.embedTokensPath)) : null;
  const codec = new TextCodec(folder);
  const padTokenId = folder.tokenizerConfig.pad_token ? (codec.tokenId(folder.tokenizerConfig.pad_token) ?? 0) : 0;
  const runner = new DecoderRunner(folder.dims, decoder, embedTokens, padTokenId);
  const metrics = new EngineMetrics();
  const maxModelLen = Math.min(folder.dims.maxPositionEmbeddings, options.maxModelLen ?? Infinity);
  const scheduler = new BatchScheduler(runner, codec, {
    maxBatch: options.maxBatch,
    maxQueue: options.maxQueue,
    maxModelLen,
    requestTimeoutMs: options.requestTimeoutMs,
    metrics,
    prefixCacheBytes: options.prefixCacheBytes ?? 0,
  });
  const omni = await OmniSupport.load(folder.dir, codec, async (path) => runtime.createSession(source(path)));
  if (omni !== null && !folder.embedTokensPath)
    throw new Error(`model folder ${folder.dir} has Omni towers but no onnx/embed_tokens.onnx (the decoder must take inputs_embeds)`);
  const release = async (): Promise<void> => {
    await runner.release();
    await omni?.release();
  };
  return { folder, codec, scheduler, metrics, executionProvider, runtimeKind: runtime.kind, maxModelLen, omni, release };
}
