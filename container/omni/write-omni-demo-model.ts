/**
 * Writes the tiny random Megrez-Omni model folder: the engine's demo folder (tokenizer with the Omni placeholder
 * tokens added, Megrez template) with the decoder in its `inputs_embeds` variant plus `onnx/embed_tokens.onnx`,
 * `onnx/vision_encoder.onnx` and `onnx/audio_encoder.onnx`, and the tower sizes under `megrez_omni` in config.json.
 * Assembled in a sibling staging folder and renamed into place, so a crash never leaves half a model.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { writeDemoModel, type DemoModelOptions, type DemoModelResult } from "../demo/write-demo-model";
import { decoderGraphs, type DecoderGraphKind, typedWeightSource, weightTypeOf } from "../model/decoder-graphs";
import { encodeOnnxModel } from "../onnx/onnx-model";
import { buildAudioEncoder } from "./build-audio-encoder";
import { buildVisionEncoder } from "./build-vision-encoder";
import { OMNI_TOKENS, omniConfigToJson, type OmniConfig } from "./omni-dims";
import { float32OmniWeightSource, randomOmniWeights } from "./omni-weights";
import { TINY_OMNI_DIMS } from "./tiny-omni-dims";

export const OMNI_ONNX_FILES = {
  decoder: "model.onnx",
  embedTokens: "embed_tokens.onnx",
  vision: "vision_encoder.onnx",
  audio: "audio_encoder.onnx",
} as const;

export type OmniDemoModelResult = DemoModelResult & { omni: OmniConfig; omniWeights: Map<string, Float32Array> };

export function writeOmniDemoModel(options: {
  outDir: string;
  seed?: number;
  generationDefaults?: DemoModelOptions["generationDefaults"];
  /** Decoder graph and its dtype, as for writeDemoModel (default standard, fp32). */
  graph?: DecoderGraphKind;
  dtype?: "fp32" | "fp16";
}): OmniDemoModelResult {
  const seed = options.seed ?? 42;
  const target = options.outDir;
  const staging = join(dirname(target), `.${basename(target)}.omni-tmp-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  try {
    const text = writeDemoModel({
      outDir: staging,
      seed,
      extraSpecialTokens: Object.values(OMNI_TOKENS),
      ...(options.graph ? { graph: options.graph } : {}),
      ...(options.dtype ? { dtype: options.dtype } : {}),
      ...(options.generationDefaults ? { generationDefaults: options.generationDefaults } : {}),
    });
    const omni = TINY_OMNI_DIMS(text.dims.hiddenSize);
    const omniWeights = randomOmniWeights(omni, seed + 1);
    const onnxDir = join(staging, "onnx");
    const choice = { graph: options.graph ?? "standard", dtype: options.dtype ?? "fp32" } as const;
    const graphs = decoderGraphs(choice, text.dims, typedWeightSource(text.weights, weightTypeOf(choice)), "embeds");
    const towerWeights = float32OmniWeightSource(omniWeights);
    writeFileSync(join(onnxDir, OMNI_ONNX_FILES.decoder), encodeOnnxModel(graphs.decoder));
    if (graphs.embedTokens) writeFileSync(join(onnxDir, OMNI_ONNX_FILES.embedTokens), encodeOnnxModel(graphs.embedTokens));
    writeFileSync(join(onnxDir, OMNI_ONNX_FILES.vision), encodeOnnxModel(buildVisionEncoder({ ...omni, weights: towerWeights })));
    writeFileSync(join(onnxDir, OMNI_ONNX_FILES.audio), encodeOnnxModel(buildAudioEncoder({ ...omni, weights: towerWeights })));
    const configPath = join(staging, "config.json");
    const config: unknown = JSON.parse(readFileSync(configPath, "utf8"));
    const merged = { ...(typeof config === "object" && config !== null ? config : {}), megrez_omni: omniConfigToJson(omni) };
    writeFileSync(configPath, `${JSON.stringify(merged, null, 2)}\n`);
    if (existsSync(target)) rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    return { ...text, omni, omniWeights };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
