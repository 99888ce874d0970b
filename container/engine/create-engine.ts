/**
 * Wires a model folder into a ready engine: sessions on the chosen execution provider,
 * tokenizer/template codec, the decoder runner for the folder's graph (standard or fast,
 * from engine.json), the continuous-batching scheduler, and the media embedder the caller
 * plugs in (container/main.ts passes the Omni towers' loader).
 */
import { readFileSync } from "node:fs";
import { type ExecutionProviderSetting, openRuntime, type Runtime, type RuntimeKind } from "../runtime/onnx-backend";
import { type ExecutionProvider, type InferenceSession, isBindingSession } from "../runtime/inference-session";
import type { BatchDecoder } from "./batch-decoder";
import { BatchScheduler } from "./batch-scheduler";
import { createPooledPath } from "./pooled-engine-parts";
import type { Scheduler } from "./scheduler-core";
import { DecoderRunner } from "./decoder-runner";
import { EngineError } from "./engine-errors";
import { EngineMetrics } from "./engine-metrics";
import { FastDecoderRunner } from "./fast-decoder-runner";
import type { MediaEmbedder, MediaEmbedderFactory } from "./media-embedder";
import { type ModelFolder, loadModelFolder } from "./model-folder";
import { TextCodec } from "./text-codec";

export interface EngineOptions {
  modelDir: string;
  executionProvider: ExecutionProviderSetting;
  /** ENGINE_ORT_LIBRARY: the ONNX Runtime library the native layer loads (unset: onnxruntime-node's CPU one). */
  ortLibrary?: string;
  /** Force a runtime (tests, benchmarks); unset = native, falling back to onnxruntime-node with a log line. */
  runtime?: "native" | "onnxruntime-node";
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
  /** Loads image/audio input for the folder (null for text-only folders); without it the engine is text-only. */
  mediaEmbedder?: MediaEmbedderFactory;
  /** Fast graph: the longest prompt piece one forward pass takes (default 512). */
  prefillChunkTokens?: number;
  /** Fast graph on the native runtime: share of free device (or host) memory the KV pool takes (default 0.9). */
  kvMemoryFraction?: number;
  /** Fast graph on the native runtime: the KV pool's size in bytes instead of the fraction (0 = use the fraction). */
  kvMemoryBytes?: number;
  /** Fast graph: false keeps the host-side FastDecoderRunner even on the native runtime (tests compare the two). */
  kvPool?: boolean;
}

export interface Engine {
  folder: ModelFolder;
  codec: TextCodec;
  scheduler: Scheduler;
  metrics: EngineMetrics;
  executionProvider: ExecutionProvider;
  /** What runs the sessions: the native layer, or onnxruntime-node / onnxruntime-web. */
  runtimeKind: RuntimeKind;
  maxModelLen: number;
  /** Image/audio input (the injected embedder, for folders that have towers); null for text-only engines. */
  media: MediaEmbedder | null;
  release(): Promise<void>;
}

const DEFAULT_PREFILL_CHUNK = 512;
const DEFAULT_KV_MEMORY_FRACTION = 0.9;

/**
 * @example
 *   const engine = await createEngine({ modelDir: ".cache/models/megrez-demo", executionProvider: "auto", maxBatch: 8, maxQueue: 64, requestTimeoutMs: 120000 });
 */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  const folder = loadModelFolder(options.modelDir);
  if (folder.graph === "fast" && options.executionProvider === "wasm")
    throw new EngineError(
      "model_folder_invalid",
      `model folder ${folder.dir} holds the fast graph (ONNX Runtime contrib ops): use ENGINE_EP=cpu or cuda, not wasm`,
    );
  const settings = {
    executionProvider: options.executionProvider,
    threads: options.threads ?? 0,
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
  const metrics = new EngineMetrics();
  const maxModelLen = Math.min(folder.dims.maxPositionEmbeddings, options.maxModelLen ?? Infinity);
  const schedulerOptions = {
    maxBatch: options.maxBatch,
    maxQueue: options.maxQueue,
    maxModelLen,
    requestTimeoutMs: options.requestTimeoutMs,
    metrics,
    prefixCacheBytes: options.prefixCacheBytes ?? 0,
  };
  let scheduler: Scheduler;
  let releaseCore: () => Promise<void>;
  if (folder.graph === "fast" && isBindingSession(decoder) && options.kvPool !== false) {
    const pooled = await createPooledPath({
      folder,
      codec,
      decoder,
      embedTokens,
      openHelper: (model) => runtime.createSession(model, { optimization: "none" }),
      scheduler: schedulerOptions,
      prefillChunkTokens: options.prefillChunkTokens ?? DEFAULT_PREFILL_CHUNK,
      kvMemoryFraction: options.kvMemoryFraction ?? DEFAULT_KV_MEMORY_FRACTION,
      kvMemoryBytes: options.kvMemoryBytes ?? 0,
      ...(options.log ? { log: options.log } : {}),
    });
    scheduler = pooled.scheduler;
    releaseCore = async () => {
      await pooled.release();
      await decoder.release();
      await embedTokens?.release();
    };
  } else {
    const runner = createRunner(folder, codec, decoder, embedTokens, options);
    scheduler = new BatchScheduler(runner, codec, schedulerOptions);
    releaseCore = () => runner.release();
  }
  const media = options.mediaEmbedder
    ? await options.mediaEmbedder({ dir: folder.dir, codec, createSession: async (path) => runtime.createSession(source(path)) })
    : null;
  if (media !== null && !folder.embedTokensPath)
    throw new Error(`model folder ${folder.dir} has media towers but no onnx/embed_tokens.onnx (the decoder must take inputs_embeds)`);
  const release = async (): Promise<void> => {
    await releaseCore();
    await media?.release();
  };
  return { folder, codec, scheduler, metrics, executionProvider, runtimeKind: runtime.kind, maxModelLen, media, release };
}

/** The runner for the folder's decoder graph. */
function createRunner(
  folder: ModelFolder,
  codec: TextCodec,
  decoder: InferenceSession,
  embedTokens: InferenceSession | null,
  options: EngineOptions,
): BatchDecoder {
  if (folder.graph === "fast") {
    return new FastDecoderRunner(
      folder.dims,
      decoder,
      embedTokens,
      options.prefillChunkTokens === undefined ? {} : { prefillChunkTokens: options.prefillChunkTokens },
    );
  }
  const padTokenId = folder.tokenizerConfig.pad_token ? (codec.tokenId(folder.tokenizerConfig.pad_token) ?? 0) : 0;
  return new DecoderRunner(folder.dims, decoder, embedTokens, padTokenId);
}
