/**
 * HF LlamaForCausalLM safetensors checkpoint -> our model folder (onnx/model.onnx +
 * onnx/model.onnx_data, config and tokenizer files copied). Weights stream one tensor at a
 * time from the checkpoint through the graph encoder into the external-data file; the folder
 * is assembled under a temp name and renamed at the end, so a failure leaves nothing behind.
 * It converts exactly or refuses: a config field it does not understand, a tensor it would not
 * use, or a missing lm_head on an untied model stops it with a message naming the field or tensor.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { checkGraphChoice, type DecoderGraphKind, decoderGraphs } from "../model/decoder-graphs";
import { writeGraphMetadata } from "../model/graph-metadata";
import { dimsFromConfig, type LlamaDims, llamaConfigSchema, llamaWeightShapes, refuseUnknownConfigFields } from "../model/llama-dims";
import { openExternalDataFile } from "../onnx/external-data-file";
import { encodeOnnxModel } from "../onnx/onnx-model";
import { bytesOf, float32ToFloat16Array } from "../onnx/tensor-bytes";
import { SafetensorsCheckpoint } from "./safetensors-reader";

export interface ConvertOptions {
  inputDir: string;
  outputDir: string;
  dtype: "fp32" | "fp16";
  /** KV cache element type of the converted decoder (default fp32; fp16 halves cache memory and transfers). */
  kvDtype?: "fp32" | "fp16";
  /** Which decoder graph to write (default "standard"; "fast" = contrib ops, computing in `dtype`). */
  graph?: DecoderGraphKind;
  onProgress?: (progress: { done: number; total: number; name: string; bytesWritten: number }) => void;
}

const REQUIRED_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json"];
const OPTIONAL_FILES = ["generation_config.json", "special_tokens_map.json"];

/** HF Linear weights are [out, in]; our graph multiplies x @ W with W [in, out]. */
function transpose(data: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) out[column * rows + row] = data[row * columns + column] ?? 0;
  }
  return out;
}

function isLinear(name: string): boolean {
  return name.endsWith("_proj.weight") || name === "lm_head.weight";
}

/** HF recomputes these buffers from the config and drops them on load; so do we. */
const DISCARDED_BUFFER = /\.rotary_emb\.inv_freq$/;

function sameValues(checkpoint: SafetensorsCheckpoint, a: string, b: string): boolean {
  const left = checkpoint.readFloat32(a).data;
  const right = checkpoint.readFloat32(b).data;
  return left.length === right.length && left.every((value, index) => value === right[index]);
}

/** Every problem between config and checkpoint: missing or misshapen tensors, tensors we would not use, an untied model without lm_head. */
export function checkpointProblems(checkpoint: SafetensorsCheckpoint, dims: LlamaDims): string[] {
  const problems: string[] = [];
  const shapes = llamaWeightShapes(dims);
  if (!dims.tieWordEmbeddings && !checkpoint.has("lm_head.weight")) {
    problems.push(
      "lm_head.weight is missing and config.json says tie_word_embeddings is false (set it to true only if the model really shares embed_tokens as its output layer)",
    );
  }
  for (const [name, shape] of shapes) {
    if (name === "lm_head.weight" && !checkpoint.has(name)) continue;
    if (!checkpoint.has(name)) {
      problems.push(`missing ${name}`);
      continue;
    }
    const expected = isLinear(name) ? [shape[1], shape[0]] : shape;
    const actual = checkpoint.entry(name).shape;
    if (actual.join("x") !== expected.join("x")) problems.push(`${name} has shape [${actual.join(", ")}], expected [${expected.join(", ")}]`);
  }
  const unused = checkpoint.names().filter((name) => !shapes.has(name) && !DISCARDED_BUFFER.test(name));
  const tiedCopy = dims.tieWordEmbeddings && unused.includes("lm_head.weight") && sameValues(checkpoint, "lm_head.weight", "model.embed_tokens.weight");
  const reallyUnused = unused.filter((name) => !(tiedCopy && name === "lm_head.weight"));
  if (reallyUnused.length > 0) {
    const hint = reallyUnused.includes("lm_head.weight") ? " (lm_head.weight differs from embed_tokens although tie_word_embeddings is true)" : "";
    problems.push(
      `${reallyUnused.length} tensor${reallyUnused.length > 1 ? "s" : ""} would not be used${hint}: ${reallyUnused.slice(0, 8).join(", ")}${reallyUnused.length > 8 ? ", …" : ""}`,
    );
  }
  return problems;
}

export function convertCheckpoint(options: ConvertOptions): { tensors: number; bytes: number } {
  const choice = { graph: options.graph ?? "standard", dtype: options.dtype, ...(options.kvDtype ? { kvDtype: options.kvDtype } : {}) };
  checkGraphChoice(choice);
  const missing = REQUIRED_FILES.filter((file) => !existsSync(join(options.inputDir, file)));
  if (missing.length > 0) throw new Error(`${options.inputDir} is missing ${missing.join(", ")}`);
  const raw: unknown = JSON.parse(readFileSync(join(options.inputDir, "config.json"), "utf8"));
  refuseUnknownConfigFields(raw);
  const config = llamaConfigSchema.parse(raw);
  const dims = dimsFromConfig(config);
  const checkpoint = SafetensorsCheckpoint.open(options.inputDir);
  const shapes = llamaWeightShapes(dims);
  const problems = checkpointProblems(checkpoint, dims);
  if (problems.length > 0) throw new Error(`checkpoint does not match config.json: ${problems.slice(0, 10).join("; ")}`);

  const staging = join(dirname(options.outputDir), `.${basename(options.outputDir)}.tmp-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, "onnx"), { recursive: true });
  try {
    const data = openExternalDataFile(join(staging, "onnx", "model.onnx_data"));
    let done = 0;
    const weightType = options.dtype === "fp16" ? "float16" : "float32";
    let graph: Uint8Array;
    try {
      const { decoder, metadata } = decoderGraphs(
        choice,
        dims,
        (name, shape) => () => {
          const { data: values } = checkpoint.readFloat32(name);
          const laidOut = isLinear(name) ? transpose(values, shape[1] ?? 0, shape[0] ?? 0) : values;
          const bytes = weightType === "float16" ? bytesOf(float32ToFloat16Array(laidOut)) : bytesOf(laidOut);
          done += 1;
          options.onProgress?.({ done, total: shapes.size, name, bytesWritten: data.bytesWritten() + bytes.byteLength });
          return bytes;
        },
        "ids",
      );
      graph = encodeOnnxModel(decoder, data.sink);
      writeGraphMetadata(staging, metadata);
    } finally {
      data.close();
    }
    writeFileSync(join(staging, "onnx", "model.onnx"), graph);
    for (const file of [...REQUIRED_FILES, ...OPTIONAL_FILES]) {
      if (existsSync(join(options.inputDir, file))) copyFileSync(join(options.inputDir, file), join(staging, file));
    }
    if (existsSync(options.outputDir)) rmSync(options.outputDir, { recursive: true, force: true });
    renameSync(staging, options.outputDir);
    return { tensors: done, bytes: data.bytesWritten() };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
