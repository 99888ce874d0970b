// The Omni converter on a tiny HF-layout Megrez-Omni checkpoint written here (llm./vision.vpm./vision.resampler./
// audio.audio. names, Linear weights [out, in], resampler q/k/v packed in in_proj): the converted folder gives the
// same tokens for an image + audio request as the demo folder built directly from the same weights.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../../container/engine/create-engine";
import { loadOmniEmbedder } from "../../../container/omni/omni-support";
import { DEFAULT_SAMPLING } from "../../../container/engine/sampling-params";
import { llamaWeightShapes } from "../../../container/model/llama-dims";
import { convertOmniCheckpoint } from "../../../container/omni/convert-omni-checkpoint";
import { checkpointSources } from "../../../container/omni/omni-checkpoint-names";
import { omniWeightShapes } from "../../../container/omni/omni-dims";
import { writeOmniDemoModel, type OmniDemoModelResult } from "../../../container/omni/write-omni-demo-model";

const FIXTURES = new URL("../../fixtures/omni/", import.meta.url);
const image = readFileSync(new URL("sample_image.jpg", FIXTURES)).toString("base64");
const wav = readdirSync(new URL("train/audios/", FIXTURES))
  .filter((f) => f.endsWith(".wav"))
  .sort()[1]!;
const audio = readFileSync(new URL(`train/audios/${wav}`, FIXTURES)).toString("base64");

function hfTranspose(data: Float32Array, shape: readonly number[]): Float32Array {
  const [rows = 0, columns = 0] = shape;
  const out = new Float32Array(data.length);
  for (let row = 0; row < rows; row++) for (let column = 0; column < columns; column++) out[column * rows + row] = data[row * columns + column]!;
  return out;
}

function writeSafetensors(path: string, tensors: Map<string, { shape: number[]; data: Float32Array }>): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, tensor] of tensors) {
    header[name] = { dtype: "F32", shape: tensor.shape, data_offsets: [offset, offset + tensor.data.byteLength] };
    offset += tensor.data.byteLength;
  }
  const headerBytes = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(headerBytes.length));
  writeFileSync(
    path,
    Buffer.concat([
      length,
      headerBytes,
      ...[...tensors.values()].map((tensor) => Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength)),
    ]),
  );
}

/** PyTorch nn.Linear weights (stored [out, in]) among our names, listed here independently of the converter's rule. */
const TORCH_LINEAR = /(_proj\.weight|\.fc[12]\.weight|\.attn\.(query|key|value|out)\.weight|\.mlp\.[02]\.weight|^lm_head\.weight|^audio\.proj\.weight)$/;

/** Our weights → the checkpoint layout the converter expects (the inverse of its mapping, written independently). */
function hfCheckpoint(model: OmniDemoModelResult): Map<string, { shape: number[]; data: Float32Array }> {
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const shapes = new Map([...llamaWeightShapes(model.dims), ...omniWeightShapes(model.omni)]);
  const weights = new Map([...model.weights, ...model.omniWeights]);
  const hidden = model.dims.hiddenSize;
  const packed: Record<"weight" | "bias", Float32Array[]> = { weight: [], bias: [] };
  for (const [name, shape] of shapes) {
    const values = weights.get(name)!;
    const linear = TORCH_LINEAR.test(name);
    const data = linear ? hfTranspose(values, shape) : values;
    const hfShape = linear ? [shape[1]!, shape[0]!] : shape;
    const qkv = /^resampler\.attn\.([qkv])_proj\.(weight|bias)$/.exec(name);
    if (qkv) {
      packed[qkv[2] === "weight" ? "weight" : "bias"]["qkv".indexOf(qkv[1]!)] = data;
      continue;
    }
    const prefix = name.startsWith("vpm.") || name.startsWith("resampler.") ? "vision." : name.startsWith("audio.") ? "audio." : "llm.";
    tensors.set(prefix + name, { shape: hfShape, data });
  }
  const concat = (parts: Float32Array[]) => Float32Array.from(parts.flatMap((part) => Array.from(part)));
  tensors.set("vision.resampler.attn.in_proj_weight", { shape: [3 * hidden, hidden], data: concat(packed.weight) });
  tensors.set("vision.resampler.attn.in_proj_bias", { shape: [3 * hidden], data: concat(packed.bias) });
  return tensors;
}

let dir: string;
let direct: Engine;
let converted: Engine;
let model: OmniDemoModelResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "omni-convert-"));
  model = writeOmniDemoModel({ outDir: join(dir, "direct"), seed: 5 });
  const hf = join(dir, "hf");
  const demoConfig = JSON.parse(readFileSync(join(dir, "direct", "config.json"), "utf8")) as Record<string, unknown>;
  const { megrez_omni: _omni, ...llmConfig } = demoConfig;
  const { vision, audio: audioDims } = model.omni;
  writeOmniHfFolder(hf, {
    ...llmConfig,
    architectures: ["MegrezO"],
    model_type: "megrezo",
    query_num: vision.queryCount,
    resampler_heads: vision.resamplerHeads,
    vision_config: {
      hidden_size: vision.hiddenSize,
      num_hidden_layers: vision.numLayers,
      num_attention_heads: vision.numHeads,
      intermediate_size: vision.intermediateSize,
      patch_size: 14,
      image_size: 980,
      layer_norm_eps: 1e-6,
    },
    audio_config: {
      n_mels: 128,
      n_ctx: audioDims.maxPositions,
      n_state: audioDims.hiddenSize,
      n_head: audioDims.numHeads,
      n_layer: audioDims.numLayers,
      output_dim: model.dims.hiddenSize,
    },
  });
  convertOmniCheckpoint({ inputDir: hf, outputDir: join(dir, "converted"), dtype: "fp32", tokens: model.omni.tokens });
  const options = { executionProvider: "cpu" as const, mediaEmbedder: loadOmniEmbedder, maxBatch: 4, maxQueue: 8, requestTimeoutMs: 120_000 };
  direct = await createEngine({ ...options, modelDir: join(dir, "direct") });
  converted = await createEngine({ ...options, modelDir: join(dir, "converted") });

  function writeOmniHfFolder(target: string, config: Record<string, unknown>): void {
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, "config.json"), JSON.stringify(config));
    for (const file of ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]) copyFileSync(join(dir, "direct", file), join(target, file));
    writeSafetensors(join(target, "model.safetensors"), hfCheckpoint(model));
  }
});

afterAll(async () => {
  await direct?.release();
  await converted?.release();
  rmSync(dir, { recursive: true, force: true });
});

async function tokens(engine: Engine): Promise<number[]> {
  const prompt = await engine.media!.prepare(
    [
      {
        role: "user",
        content: "Describe both.",
        media: [
          { kind: "image", source: { type: "data", base64: image } },
          { kind: "audio", source: { type: "data", base64: audio } },
        ],
      },
    ],
    true,
  );
  for await (const event of engine.scheduler.submit({
    promptIds: prompt.promptIds,
    params: { ...DEFAULT_SAMPLING, temperature: 0, maxTokens: 8 },
    embeddingSplices: prompt.splices,
  })) {
    if (event.type === "finish") return [...event.tokenIds];
    if (event.type === "error") throw event.error;
  }
  throw new Error("no finish");
}

describe("Megrez-Omni checkpoint converter", () => {
  it("maps llm./vision.vpm./vision.resampler. (packed q/k/v)/audio.audio. names with the right layouts", () => {
    expect(checkpointSources("resampler.attn.k_proj.weight", 64)[0]).toEqual({
      name: "vision.resampler.attn.in_proj_weight",
      rows: [64, 128],
      transpose: true,
    });
    expect(checkpointSources("audio.blocks.3.attn.key.weight", 64)[0]).toEqual({ name: "audio.audio.blocks.3.attn.key.weight", rows: null, transpose: true });
    expect(checkpointSources("vpm.embeddings.patch_embedding.weight", 64)[0]!.transpose).toBe(false);
    expect(checkpointSources("resampler.proj", 64)[0]).toEqual({ name: "vision.resampler.proj", rows: null, transpose: false });
    expect(checkpointSources("model.layers.0.mlp.up_proj.weight", 64)[0]!.name).toBe("llm.model.layers.0.mlp.up_proj.weight");
  });

  it("the converted folder answers an image + audio request with the same tokens as the directly built one", async () => {
    expect(converted.media).not.toBeNull();
    expect(await tokens(converted)).toEqual(await tokens(direct));
  });

  it("names what is missing when the checkpoint does not match", () => {
    const broken = join(dir, "broken");
    const tensors = hfCheckpoint(model);
    tensors.delete("audio.audio.conv2.weight");
    mkdirSync(broken, { recursive: true });
    for (const file of ["config.json", "tokenizer.json", "tokenizer_config.json"]) copyFileSync(join(dir, "hf", file), join(broken, file));
    writeSafetensors(join(broken, "model.safetensors"), tensors);
    expect(() => convertOmniCheckpoint({ inputDir: broken, outputDir: join(dir, "broken-out"), dtype: "fp32" })).toThrow(
      /missing audio\.conv2\.weight \(looked for audio\.audio\.conv2\.weight or audio\.conv2\.weight\)/,
    );
    expect(existsSync(join(dir, "broken-out"))).toBe(false);
  });
});
