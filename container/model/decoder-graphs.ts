/**
 * The one place where a converter or a model generator turns its choice of decoder graph into ONNX models: the
 * standard-opset graph (wasm, transformers.js parity, the demo) or the fast contrib-op graph (CPU and CUDA speed),
 * the embeds variant's embed_tokens graph, and the engine.json that tells the engine which graph it got.
 */
import { buildEmbedTokens, buildLlamaDecoder, type WeightSource } from "./build-llama-decoder";
import { buildFastDecoder, buildFastEmbedTokens } from "./build-fast-decoder";
import type { GraphMetadata } from "./graph-metadata";
import type { LlamaDims } from "./llama-dims";
import type { OnnxModel } from "../onnx/onnx-model";
import { bytesOf, float32ToFloat16Array } from "../onnx/tensor-bytes";

export type DecoderGraphKind = "standard" | "fast";

export interface DecoderGraphChoice {
  graph: DecoderGraphKind;
  /** Weight storage; for the fast graph also its compute and KV cache type. */
  dtype: "fp32" | "fp16";
  /** Standard graph only: the KV cache type (default fp32). */
  kvDtype?: "fp32" | "fp16";
}

export interface DecoderGraphs {
  decoder: OnnxModel;
  /** The embeds variant's embed_tokens graph (null for the ids variant). */
  embedTokens: OnnxModel | null;
  metadata: GraphMetadata;
}

/** The element type `choice` stores weights in: what the WeightSource passed to decoderGraphs must produce. */
export function weightTypeOf(choice: DecoderGraphChoice): "float32" | "float16" {
  return choice.dtype === "fp16" ? "float16" : "float32";
}

/** The engine.json for a folder holding `choice`'s graph. */
export function graphMetadataOf(choice: DecoderGraphChoice): GraphMetadata {
  return choice.graph === "fast" ? { graph: "fast", compute_dtype: weightTypeOf(choice) } : { graph: "standard" };
}

/** Refuses combinations the graphs cannot honour, naming the option. */
export function checkGraphChoice(choice: DecoderGraphChoice): void {
  if (choice.graph === "fast" && choice.kvDtype !== undefined && choice.kvDtype !== choice.dtype) {
    throw new Error(
      `the fast graph keeps its KV cache in its compute type (--dtype ${choice.dtype}); --kv-dtype ${choice.kvDtype} applies to the standard graph only`,
    );
  }
}

/**
 * @example
 *   const { decoder, metadata } = decoderGraphs({ graph: "fast", dtype: "fp16" }, dims, weights, "ids");
 */
export function decoderGraphs(choice: DecoderGraphChoice, dims: LlamaDims, weights: WeightSource, inputMode: "ids" | "embeds"): DecoderGraphs {
  checkGraphChoice(choice);
  const weightType = weightTypeOf(choice);
  if (choice.graph === "fast") {
    const computeType = weightType;
    return {
      decoder: buildFastDecoder({ dims, weights, computeType, inputMode }),
      embedTokens: inputMode === "embeds" ? buildFastEmbedTokens({ dims, weights, computeType }) : null,
      metadata: graphMetadataOf(choice),
    };
  }
  return {
    decoder: buildLlamaDecoder({ dims, weights, weightType, inputMode, logitsToKeep: true, kvType: choice.kvDtype === "fp16" ? "float16" : "float32" }),
    embedTokens: inputMode === "embeds" ? buildEmbedTokens({ dims, weights, weightType }) : null,
    metadata: graphMetadataOf(choice),
  };
}

/** A WeightSource over in-memory float32 weights that yields them in `type` (rounded to half precision for float16). */
export function typedWeightSource(weights: ReadonlyMap<string, Float32Array>, type: "float32" | "float16"): WeightSource {
  return (name) => {
    const values = weights.get(name);
    if (!values) throw new Error(`missing weight ${name}`);
    return type === "float32" ? bytesOf(values) : () => bytesOf(float32ToFloat16Array(values));
  };
}
