/**
 * A Megrez-3B-Omni-sized random model folder for GPU benchmarks (`bench/omni/run.ts --model DIR --ep cuda`, and the
 * GPU check `bench/gpu/run.sh`, which writes one on the GPU host): the real LLM dimensions (hidden 2560, 40/10 heads
 * × 64, intermediate 7168, vocab 122880; fp16 weights, the standard or the fast decoder graph) and real towers
 * (SigLIP-SO400M 1152 × 27 layers, 16 heads, MLP 4304; Whisper-large-v3 encoder 1280 × 32 layers, 20 heads; fp32),
 * every graph with external data. Weights are generated tensor by tensor while encoding (never all in memory). Layer
 * counts can be cut to check the path on a small machine. The tokenizer is the demo one (ids past its vocabulary
 * decode to nothing), so only speed means anything here.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { writeDemoModel } from "../../container/demo/write-demo-model";
import { type DecoderGraphKind, decoderGraphs } from "../../container/model/decoder-graphs";
import { writeGraphMetadata } from "../../container/model/graph-metadata";
import { MEGREZ_3B_DIMS, type LlamaDims } from "../../container/model/llama-dims";
import { createRandom } from "../../container/model/seeded-random";
import { buildAudioEncoder } from "../../container/omni/build-audio-encoder";
import { buildVisionEncoder } from "../../container/omni/build-vision-encoder";
import { OMNI_TOKENS, omniConfigToJson, type OmniConfig } from "../../container/omni/omni-dims";
import { openExternalDataFile } from "../../container/onnx/external-data-file";
import { encodeOnnxModel, type OnnxModel } from "../../container/onnx/onnx-model";
import { bytesOf, float32ToFloat16Array } from "../../container/onnx/tensor-bytes";

export type SizedOmniOptions = {
  outDir: string;
  llmLayers?: number;
  visionLayers?: number;
  audioLayers?: number;
  seed?: number;
  /** The LLM's decoder graph (default standard); both store fp16 weights, the fast one also computes in fp16. */
  graph?: DecoderGraphKind;
};

export function megrezOmniDims(options: Pick<SizedOmniOptions, "llmLayers" | "visionLayers" | "audioLayers">): { llm: LlamaDims; omni: OmniConfig } {
  const hidden = MEGREZ_3B_DIMS.hiddenSize;
  return {
    llm: { ...MEGREZ_3B_DIMS, numLayers: options.llmLayers ?? MEGREZ_3B_DIMS.numLayers },
    omni: {
      vision: {
        hiddenSize: 1152,
        numLayers: options.visionLayers ?? 27,
        numHeads: 16,
        intermediateSize: 4304,
        patchSize: 14,
        positionBuckets: 70,
        layerNormEps: 1e-6,
        queryCount: 64,
        resamplerHeads: hidden / 128,
        outputSize: hidden,
      },
      audio: { melBins: 128, hiddenSize: 1280, numLayers: options.audioLayers ?? 32, numHeads: 20, maxPositions: 1500, outputSize: hidden },
      tokens: OMNI_TOKENS,
      maxSliceNums: 9,
      scaleResolution: 448,
    },
  };
}

/** Values per random block: tensors are tiled from it (only speed matters here, and 10 GB of draws take minutes). */
const BLOCK = 1 << 22;

/**
 * Small uniform weights (norm scales 1): each tensor copies a seeded random block of its fan-in's scale, from an
 * offset that moves per tensor, so no two tensors are equal; generating 10 GB this way takes seconds, not minutes.
 */
function weightStream(seed: number, half: boolean): (name: string, shape: readonly number[]) => () => Uint8Array {
  const random = createRandom(seed);
  const blocks = new Map<number, Uint8Array>();
  let offset = 0;
  const blockFor = (fanIn: number): Uint8Array => {
    let block = blocks.get(fanIn);
    if (!block) {
      const scale = 2 / Math.sqrt(fanIn);
      const values = new Float32Array(BLOCK);
      for (let index = 0; index < BLOCK; index++) values[index] = (random() - 0.5) * scale;
      block = half ? bytesOf(float32ToFloat16Array(values)) : bytesOf(values);
      blocks.set(fanIn, block);
    }
    return block;
  };
  return (name, shape) => () => {
    const count = shape.reduce((product, dim) => product * dim, 1);
    const isNormScale = /(norm|_ln|ln_\w+|layer_norm\d|layernorm)\.weight$/.test(name) || name.endsWith("layernorm.weight");
    if (isNormScale) {
      const ones = new Float32Array(count).fill(1);
      return half ? bytesOf(float32ToFloat16Array(ones)) : bytesOf(ones);
    }
    const block = blockFor(shape[0] ?? 1);
    const bytes = new Uint8Array(count * (half ? 2 : 4));
    offset = (offset + 7919 * (half ? 2 : 4)) % block.byteLength;
    for (let at = 0; at < bytes.byteLength; ) {
      const piece = block.subarray(at === 0 ? offset : 0, Math.min(block.byteLength, (at === 0 ? offset : 0) + bytes.byteLength - at));
      bytes.set(piece, at);
      at += piece.byteLength;
    }
    return bytes;
  };
}

function writeWithExternalData(directory: string, file: string, model: OnnxModel): void {
  const data = openExternalDataFile(join(directory, `${file}_data`));
  try {
    writeFileSync(join(directory, file), encodeOnnxModel(model, data.sink));
  } finally {
    data.close();
  }
}

export function writeSizedOmniModel(options: SizedOmniOptions): { llm: LlamaDims; omni: OmniConfig } {
  const { llm, omni } = megrezOmniDims(options);
  const seed = options.seed ?? 42;
  const target = options.outDir;
  const staging = join(dirname(target), `.${basename(target)}.sized-tmp-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  try {
    writeDemoModel({
      outDir: staging,
      seed,
      extraSpecialTokens: Object.values(OMNI_TOKENS),
      dims: { hiddenSize: 16, intermediateSize: 16, numLayers: 1, numHeads: 2, numKvHeads: 1, headDim: 8 },
    });
    const onnxDir = join(staging, "onnx");
    rmSync(join(onnxDir, "model.onnx"));
    const graphs = decoderGraphs({ graph: options.graph ?? "standard", dtype: "fp16" }, llm, weightStream(seed, true), "embeds");
    writeWithExternalData(onnxDir, "model.onnx", graphs.decoder);
    if (graphs.embedTokens) writeWithExternalData(onnxDir, "embed_tokens.onnx", graphs.embedTokens);
    writeGraphMetadata(staging, graphs.metadata);
    const towerWeights = weightStream(seed + 1, false);
    writeWithExternalData(onnxDir, "vision_encoder.onnx", buildVisionEncoder({ ...omni, weights: towerWeights }));
    writeWithExternalData(onnxDir, "audio_encoder.onnx", buildAudioEncoder({ ...omni, weights: towerWeights }));
    const configPath = join(staging, "config.json");
    const demo: unknown = JSON.parse(readFileSync(configPath, "utf8"));
    const config = {
      ...(typeof demo === "object" && demo !== null ? demo : {}),
      vocab_size: llm.vocabSize,
      hidden_size: llm.hiddenSize,
      intermediate_size: llm.intermediateSize,
      num_hidden_layers: llm.numLayers,
      num_attention_heads: llm.numHeads,
      num_key_value_heads: llm.numKvHeads,
      head_dim: llm.headDim,
      rope_theta: llm.ropeTheta,
      rms_norm_eps: llm.rmsNormEps,
      torch_dtype: "float16",
      megrez_edge: { demo: true, seed, note: "Megrez-3B-Omni-sized random weights for benchmarks: output is noise by design" },
      megrez_omni: omniConfigToJson(omni),
    };
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
    if (existsSync(target)) rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    return { llm, omni };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
