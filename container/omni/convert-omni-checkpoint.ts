/**
 * Megrez-3B-Omni Hugging Face checkpoint → an Omni model folder the engine serves: the LLM as the embeds decoder +
 * embed_tokens, the vision tower + resampler and the audio tower + projector, each an ONNX graph with its weights in
 * a side file (the towers exceed protobuf's 2 GB in fp32), plus config.json (model_type llama + `megrez_omni`) and
 * the tokenizer files. Tensors stream one at a time; the folder is staged and renamed, so a failure leaves nothing.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { SafetensorsCheckpoint } from "../convert/safetensors-reader";
import { type DecoderGraphKind, decoderGraphs, graphMetadataOf } from "../model/decoder-graphs";
import { writeGraphMetadata } from "../model/graph-metadata";
import { dimsFromConfig, llamaConfigSchema, llamaWeightShapes, type LlamaDims } from "../model/llama-dims";
import { openExternalDataFile } from "../onnx/external-data-file";
import { encodeOnnxModel, type OnnxModel } from "../onnx/onnx-model";
import { bytesOf, float32ToFloat16Array } from "../onnx/tensor-bytes";
import { buildAudioEncoder } from "./build-audio-encoder";
import { buildVisionEncoder } from "./build-vision-encoder";
import { checkpointSources, type TensorSource } from "./omni-checkpoint-names";
import { OMNI_TOKENS, omniConfigToJson, omniWeightShapes, type OmniConfig, type OmniTokens } from "./omni-dims";

const positive = z.number().int().positive();

/** The MegrezO config.json fields we read besides the LLaMA ones. */
const megrezOmniConfigSchema = z.looseObject({
  hidden_size: positive,
  query_num: positive.default(64),
  /** Not in Megrez's config (its resampler uses hidden / 128 heads); settable for other sizes. */
  resampler_heads: positive.optional(),
  vision_config: z.looseObject({
    hidden_size: positive,
    num_hidden_layers: positive,
    num_attention_heads: positive,
    intermediate_size: positive,
    patch_size: positive.default(14),
    image_size: positive.default(980),
    layer_norm_eps: z.number().positive().default(1e-6),
  }),
  audio_config: z.looseObject({ n_mels: positive, n_ctx: positive, n_state: positive, n_head: positive, n_layer: positive }),
});

export type OmniConvertOptions = {
  inputDir: string;
  outputDir: string;
  /** Storage of the LLM weights (for the fast graph also its compute type); the towers stay fp32. */
  dtype: "fp16" | "fp32";
  /** Which decoder graph to write (default "standard"). */
  graph?: DecoderGraphKind;
  /** Placeholder token strings of the checkpoint's tokenizer (Megrez's are not public: pass them). */
  tokens?: OmniTokens;
  onProgress?: (progress: { done: number; total: number; name: string }) => void;
};

const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "generation_config.json", "special_tokens_map.json"];

function omniConfigOf(json: z.infer<typeof megrezOmniConfigSchema>, tokens: OmniTokens): OmniConfig {
  const vision = json.vision_config;
  const audio = json.audio_config;
  return {
    vision: {
      hiddenSize: vision.hidden_size,
      numLayers: vision.num_hidden_layers,
      numHeads: vision.num_attention_heads,
      intermediateSize: vision.intermediate_size,
      patchSize: vision.patch_size,
      positionBuckets: vision.image_size / vision.patch_size,
      layerNormEps: vision.layer_norm_eps,
      queryCount: json.query_num,
      resamplerHeads: json.resampler_heads ?? json.hidden_size / 128,
      outputSize: json.hidden_size,
    },
    audio: {
      melBins: audio.n_mels,
      hiddenSize: audio.n_state,
      numLayers: audio.n_layer,
      numHeads: audio.n_head,
      maxPositions: audio.n_ctx,
      outputSize: json.hidden_size,
    },
    tokens,
    maxSliceNums: 9,
    scaleResolution: 448,
  };
}

function transpose(data: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let row = 0; row < rows; row++) for (let column = 0; column < columns; column++) out[column * rows + row] = data[row * columns + column]!;
  return out;
}

/** Resolves, checks and reads our weights from the checkpoint. */
class WeightResolver {
  private readonly located = new Map<string, TensorSource>();
  readonly problems: string[] = [];

  constructor(
    private readonly checkpoint: SafetensorsCheckpoint,
    private readonly width: number,
  ) {}

  check(shapes: ReadonlyMap<string, number[]>): void {
    for (const [name, shape] of shapes) {
      const candidates = checkpointSources(name, this.width);
      const source = candidates.find((candidate) => this.checkpoint.has(candidate.name));
      if (source === undefined) {
        this.problems.push(`missing ${name} (looked for ${candidates.map((candidate) => candidate.name).join(" or ")})`);
        continue;
      }
      const actual = [...this.checkpoint.entry(source.name).shape];
      if (source.rows !== null) actual[0] = source.rows[1] - source.rows[0];
      const expected = source.transpose ? [shape[1], shape[0]] : shape;
      if (actual.join("x") !== expected.join("x"))
        this.problems.push(`${source.name} has shape [${actual.join(", ")}], expected [${expected.join(", ")}] for ${name}`);
      this.located.set(name, source);
    }
  }

  read(name: string, shape: readonly number[]): Float32Array {
    const source = this.located.get(name);
    if (source === undefined) throw new Error(`weight ${name} was not located`);
    let { data } = this.checkpoint.readFloat32(source.name);
    if (source.rows !== null) {
      const rowSize = data.length / this.checkpoint.entry(source.name).shape[0]!;
      data = data.slice(source.rows[0] * rowSize, source.rows[1] * rowSize);
    }
    return source.transpose ? transpose(data, shape[1]!, shape[0]!) : data;
  }
}

function writeGraph(
  directory: string,
  file: string,
  build: (sink: (name: string, shape: readonly number[]) => () => Uint8Array) => OnnxModel,
  read: (name: string, shape: readonly number[]) => Uint8Array,
): void {
  const data = openExternalDataFile(join(directory, `${file}_data`));
  try {
    writeFileSync(
      join(directory, file),
      encodeOnnxModel(
        build((name, shape) => () => read(name, shape)),
        data.sink,
      ),
    );
  } finally {
    data.close();
  }
}

export function convertOmniCheckpoint(options: OmniConvertOptions): { tensors: number } {
  const raw: unknown = JSON.parse(readFileSync(join(options.inputDir, "config.json"), "utf8"));
  const omniJson = megrezOmniConfigSchema.parse(raw);
  // The LLM part is a LlamaForCausalLM inside MegrezO: its fields are read as such (auto_map names MegrezO's own code).
  const { auto_map: _ownCode, ...llmRaw } = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  const llmJson = llamaConfigSchema.parse({ ...llmRaw, model_type: "llama", architectures: ["LlamaForCausalLM"] });
  const checkpoint = SafetensorsCheckpoint.open(options.inputDir);
  // An untied config without lm_head is refused by the weight check below (missing lm_head.weight), never silently tied.
  const dims: LlamaDims = dimsFromConfig(llmJson);
  const omni = omniConfigOf(omniJson, options.tokens ?? OMNI_TOKENS);
  if (!Number.isInteger(omni.vision.resamplerHeads) || omni.vision.outputSize % omni.vision.resamplerHeads !== 0) {
    throw new Error(`resampler heads (${omni.vision.resamplerHeads}) must divide hidden_size ${omni.vision.outputSize}: set resampler_heads in config.json`);
  }
  const resolver = new WeightResolver(checkpoint, dims.hiddenSize);
  const llmShapes = llamaWeightShapes(dims);
  const towerShapes = omniWeightShapes(omni);
  resolver.check(llmShapes);
  resolver.check(towerShapes);
  if (resolver.problems.length > 0) throw new Error(`checkpoint does not match config.json: ${resolver.problems.slice(0, 8).join("; ")}`);

  const staging = join(dirname(options.outputDir), `.${basename(options.outputDir)}.omni-tmp-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, "onnx"), { recursive: true });
  const total = llmShapes.size + towerShapes.size + (dims.tieWordEmbeddings ? 1 : 0);
  let done = 0;
  const progress = (name: string) => options.onProgress?.({ done: ++done, total, name });
  const llmBytes = (name: string, shape: readonly number[]) => {
    const values = resolver.read(name, shape);
    progress(name);
    return options.dtype === "fp16" ? bytesOf(float32ToFloat16Array(values)) : bytesOf(values);
  };
  const towerBytes = (name: string, shape: readonly number[]) => {
    const values = resolver.read(name, shape);
    progress(name);
    return bytesOf(values);
  };
  const choice = { graph: options.graph ?? "standard", dtype: options.dtype } as const;
  const llmGraph = (part: "decoder" | "embedTokens") => (weights: (name: string, shape: readonly number[]) => () => Uint8Array) => {
    const graph = decoderGraphs(choice, dims, weights, "embeds")[part];
    if (!graph) throw new Error(`no ${part} graph`);
    return graph;
  };
  try {
    const onnxDir = join(staging, "onnx");
    writeGraph(onnxDir, "model.onnx", llmGraph("decoder"), llmBytes);
    writeGraph(onnxDir, "embed_tokens.onnx", llmGraph("embedTokens"), llmBytes);
    writeGraphMetadata(staging, graphMetadataOf(choice));
    writeGraph(onnxDir, "vision_encoder.onnx", (weights) => buildVisionEncoder({ ...omni, weights }), towerBytes);
    writeGraph(onnxDir, "audio_encoder.onnx", (weights) => buildAudioEncoder({ ...omni, weights }), towerBytes);
    const config = {
      ...(typeof raw === "object" && raw !== null ? raw : {}),
      model_type: "llama",
      tie_word_embeddings: dims.tieWordEmbeddings,
      megrez_omni: omniConfigToJson(omni),
    };
    writeFileSync(join(staging, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
    for (const file of TOKENIZER_FILES) if (existsSync(join(options.inputDir, file))) copyFileSync(join(options.inputDir, file), join(staging, file));
    if (existsSync(options.outputDir)) rmSync(options.outputDir, { recursive: true, force: true });
    renameSync(staging, options.outputDir);
    return { tensors: done };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
