/**
 * The engine server's configuration, parsed once at startup from the environment with CLI
 * flags overriding it (`--model DIR --port N --host H --ep EP --model-name NAME`).
 */
import { parseArgs } from "node:util";
import { z } from "zod";

const integer = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

export const engineConfigSchema = z.object({
  ENGINE_MODEL_DIR: z.string().min(1).default(".cache/models/megrez-demo"),
  ENGINE_HOST: z.string().min(1).default("127.0.0.1"),
  ENGINE_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  ENGINE_EP: z.enum(["auto", "cpu", "cuda", "wasm"]).default("auto"),
  ENGINE_MODEL_NAME: z.string().min(1).default("megrez"),
  ENGINE_MAX_BATCH: z.coerce.number().int().positive().default(8),
  ENGINE_MAX_QUEUE: integer(64),
  ENGINE_REQUEST_TIMEOUT_MS: integer(120_000),
  /** Intra-op threads for ORT; 0 = runtime default. */
  ENGINE_THREADS: integer(0),
  /** Optional cap below config.json's max_position_embeddings; 0 = no cap. */
  ENGINE_MAX_MODEL_LEN: integer(0),
  /** Host memory for the automatic prefix cache (KV of recent prompts), in MiB; 0 = off. */
  ENGINE_PREFIX_CACHE_MB: integer(1024),
  /**
   * Hosts (`host` or `host:port`, comma-separated) that image/audio URLs may reach although private
   * (a test server, an internal media store); empty: public addresses only.
   */
  ENGINE_FETCH_ALLOW_HOSTS: z
    .string()
    .default("")
    .transform((list) =>
      list
        .split(",")
        .map((host) => host.trim().toLowerCase())
        .filter((host) => host.length > 0),
    ),
  /** The ONNX Runtime library the native layer loads (a CUDA build on GPU hosts); unset = onnxruntime-node's CPU library. */
  ENGINE_ORT_LIBRARY: z.string().min(1).optional(),
  /** Fast graph: share of the free GPU (or host) memory, after the weights are loaded, that the KV pool takes. */
  ENGINE_KV_MEMORY_FRACTION: z.coerce.number().gt(0).max(1).default(0.9),
  /** Fast graph: the KV pool's size in MiB instead of the fraction; 0 = use the fraction. */
  ENGINE_KV_MEMORY_MB: integer(0),
  /** Fast graph: the most prompt tokens prefilled between two decode steps. */
  ENGINE_PREFILL_CHUNK: z.coerce.number().int().positive().default(512),
  /** SIGTERM drain: how long queued and running requests may take to finish before they are ended. */
  ENGINE_DRAIN_TIMEOUT_MS: integer(30_000),
});

export type EngineConfig = z.infer<typeof engineConfigSchema>;

export function parseEngineConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): EngineConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: { model: { type: "string" }, host: { type: "string" }, port: { type: "string" }, ep: { type: "string" }, "model-name": { type: "string" } },
    strict: true,
  });
  const flags: Record<string, string | undefined> = {
    ENGINE_MODEL_DIR: values.model,
    ENGINE_HOST: values.host,
    ENGINE_PORT: values.port,
    ENGINE_EP: values.ep,
    ENGINE_MODEL_NAME: values["model-name"],
  };
  const merged: Record<string, string | undefined> = { ...env };
  for (const [key, value] of Object.entries(flags)) if (value !== undefined) merged[key] = value;
  const picked = Object.fromEntries(Object.keys(engineConfigSchema.shape).map((key) => [key, merged[key] === "" ? undefined : merged[key]]));
  return engineConfigSchema.parse(picked);
}
