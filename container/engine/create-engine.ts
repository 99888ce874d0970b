/**
 * Wires a model folder into a ready engine: sessions on the chosen execution provider,
 * tokenizer/template codec, the decoder runner for the folder's graph (standard or fast,
 * from engine.json), the continuous-batching scheduler, and the media embedder the caller
 * plugs in (container/main.ts passes the Omni towers' loader).
 */
import { readFileSync } from "node:fs";
import { type ExecutionProviderSetting, createInferenceSession, resolveExecutionProvider } from "../runtime/onnx-backend";
import type { ExecutionProvider, InferenceSession } from "../runtime/inference-session";
import type { BatchDecoder } from "./batch-decoder";
import { BatchScheduler } from "./batch-scheduler";
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
}

export interface Engine {
  folder: ModelFolder;
  codec: TextCodec;
  scheduler: BatchScheduler;
  metrics: EngineMetrics;
  executionProvider: ExecutionProvider;
  maxModelLen: number;
  /** Image/audio input (the injected embedder, for folders that have towers); null for text-only engines. */
  media: MediaEmbedder | null;
  release(): Promise<void>;
}

/**
 * @example
 *   const engine = await createEngine({ modelDir: ".cache/models/megrez-demo", executionProvider: "auto", maxBatch: 8, maxQueue: 64, requestTimeoutMs: 120000 });
 */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  const folder = loadModelFolder(options.modelDir);
  let executionProvider = resolveExecutionProvider(options.executionProvider);
  if (folder.graph === "fast" && executionProvider === "wasm")
    throw new EngineError(
      "model_folder_invalid",
      `model folder ${folder.dir} holds the fast graph (ONNX Runtime contrib ops): use ENGINE_EP=cpu or cuda, not wasm`,
    );
  let sessionOptions = { executionProvider, threads: options.threads ?? 0 };
  // onnxruntime-web cannot read files itself in every host; give it bytes.
  const source = (path: string): string | Uint8Array => (executionProvider === "wasm" ? readFileSync(path) : path);
  let decoder: Awaited<ReturnType<typeof createInferenceSession>>;
  try {
    decoder = await createInferenceSession(source(folder.decoderPath), sessionOptions);
  } catch (error) {
    // "auto" found the CUDA libraries, but they may not load (no GPU, driver or cuDNN): fall back to cpu.
    if (options.executionProvider !== "auto" || executionProvider !== "cuda") throw error;
    options.log?.(`engine: cuda execution provider failed (${error instanceof Error ? error.message : String(error)}); using cpu`);
    executionProvider = "cpu";
    sessionOptions = { executionProvider, threads: options.threads ?? 0 };
    decoder = await createInferenceSession(source(folder.decoderPath), sessionOptions);
  }
  const embedTokens = folder.embedTokensPath ? await createInferenceSession(source(folder.embedTokensPath), sessionOptions) : null;
  const codec = new TextCodec(folder);
  const runner = createRunner(folder, codec, decoder, embedTokens, options);
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
  const media = options.mediaEmbedder
    ? await options.mediaEmbedder({ dir: folder.dir, codec, createSession: async (path) => createInferenceSession(source(path), sessionOptions) })
    : null;
  if (media !== null && !folder.embedTokensPath)
    throw new Error(`model folder ${folder.dir} has media towers but no onnx/embed_tokens.onnx (the decoder must take inputs_embeds)`);
  const release = async (): Promise<void> => {
    await runner.release();
    await media?.release();
  };
  return { folder, codec, scheduler, metrics, executionProvider, maxModelLen, media, release };
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
