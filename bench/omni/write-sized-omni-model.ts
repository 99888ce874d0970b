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

/** Small uniform weights (norm scales 1), from one seeded stream. */
function weightStream(seed: number, half: boolean): (name: string, shape: readonly number[]) => () => Uint8Array {
  const random = createRandom(seed);
  return (name, shape) => () => {
    const values = new Float32Array(shape.reduce((product, dim) => product * dim, 1));
    const isNormScale = /(norm|_ln|ln_\w+|layer_norm\d|layernorm)\.weight$/.test(name) || name.endsWith("layernorm.weight");
    if (isNormScale) values.fill(1);
    else {
      const scale = 2 / Math.sqrt(shape[0] ?? 1);
      for (let i = 0; i < values.length; i++) values[i] = (random() - 0.5) * scale;
    }
    return half ? bytesOf(float32ToFloat16Array(values)) : bytesOf(values);
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
