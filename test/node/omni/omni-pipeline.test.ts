// Whole Omni requests on the tiny random model, without the HTTP layer: media → placeholders + tower embeddings →
// embed_tokens + splice → inputs_embeds decoder (ORT, float32) gives the same greedy tokens as the float64 reference.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModelFolder } from "../../../container/engine/model-folder";
import { loadOmniEncoders, type OmniEncoders } from "../../../container/omni/omni-encoders";
import { applySplices } from "../../../container/engine/embedding-splice";
import { buildOmniPrompt, type OmniChatMessage, type OmniMedia, type OmniPrompt } from "../../../container/omni/omni-prompt";
import { TextCodec } from "../../../container/engine/text-codec";
import { writeOmniDemoModel, type OmniDemoModelResult } from "../../../container/omni/write-omni-demo-model";
import { createInferenceSession } from "../../../container/runtime/onnx-backend";
import type { EngineTensor, InferenceSession } from "../../../container/runtime/inference-session";
import { referenceOmniGreedy } from "./reference-omni";

const FIXTURES = new URL("../../fixtures/omni/", import.meta.url);
const image = readFileSync(new URL("sample_image.jpg", FIXTURES));
const audio = readFileSync(
  new URL(
    `train/audios/${
      readdirSync(new URL("train/audios/", FIXTURES))
        .filter((f) => f.endsWith(".wav"))
        .sort()[0]
    }`,
    FIXTURES,
  ),
);
const TOKENS = 6;

let dir: string;
let model: OmniDemoModelResult;
let encoders: OmniEncoders;
let codec: TextCodec;
let embedTokens: InferenceSession;
let decoder: InferenceSession;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "omni-pipeline-"));
  model = writeOmniDemoModel({ outDir: join(dir, "model"), seed: 3 });
  const folder = loadModelFolder(join(dir, "model"));
  codec = new TextCodec(folder);
  const open = (path: string) => createInferenceSession(path, { executionProvider: "cpu" });
  const loaded = await loadOmniEncoders(folder.dir, open);
  if (loaded === null) throw new Error("omni config missing");
  encoders = loaded;
  embedTokens = await open(folder.embedTokensPath!);
  decoder = await open(folder.decoderPath);
});

afterAll(async () => {
  await encoders?.release();
  await embedTokens?.release();
  await decoder?.release();
  rmSync(dir, { recursive: true, force: true });
});

/** Greedy decoding the way the engine does it for one sequence: prefill with spliced embeds, then one token a step. */
async function greedy(prompt: OmniPrompt, count: number): Promise<number[]> {
  const { dims } = model;
  let past: Record<string, EngineTensor> = {};
  for (let layer = 0; layer < dims.numLayers; layer++) {
    for (const kind of ["key", "value"])
      past[`past_key_values.${layer}.${kind}`] = { type: "float32", dims: [1, dims.numKvHeads, 0, dims.headDim], data: new Float32Array(0) };
  }
  let input = prompt.promptIds;
  let length = 0;
  const tokens: number[] = [];
  for (let step = 0; step < count; step++) {
    const ids: EngineTensor = { type: "int64", dims: [1, input.length], data: BigInt64Array.from(input, BigInt) };
    const embeds = (await embedTokens.run({ input_ids: ids })).inputs_embeds!;
    if (embeds.type !== "float32") throw new Error("float32 embeds expected");
    applySplices(embeds.data, dims.hiddenSize, length, input.length, step === 0 ? prompt.splices : []);
    const out = await decoder.run({
      ...past,
      inputs_embeds: embeds,
      attention_mask: { type: "int64", dims: [1, length + input.length], data: new BigInt64Array(length + input.length).fill(1n) },
      position_ids: { type: "int64", dims: [1, input.length], data: BigInt64Array.from(input, (_, i) => BigInt(length + i)) },
      num_logits_to_keep: { type: "int64", dims: [], data: BigInt64Array.of(1n) },
    });
    const logits = out.logits!;
    if (logits.type !== "float32") throw new Error("float32 logits expected");
    let best = 0;
    for (let i = 1; i < dims.vocabSize; i++) if (logits.data[i]! > logits.data[best]!) best = i;
    tokens.push(best);
    past = {};
    for (let layer = 0; layer < dims.numLayers; layer++) {
      for (const kind of ["key", "value"]) past[`past_key_values.${layer}.${kind}`] = out[`present.${layer}.${kind}`]!;
    }
    length += input.length;
    input = [best];
  }
  return tokens;
}

async function expectSameAsReference(messages: OmniChatMessage[]): Promise<OmniPrompt> {
  const prompt = await buildOmniPrompt(messages, encoders, codec);
  const media: OmniMedia[] = messages.flatMap((message) => message.media);
  const expected = await referenceOmniGreedy({
    dims: model.dims,
    weights: model.weights,
    omni: model.omni,
    omniWeights: model.omniWeights,
    promptIds: prompt.promptIds,
    media,
    imagePadId: codec.tokenId("<|image_pad|>")!,
    audioPadId: codec.tokenId("<|audio_pad|>")!,
    count: TOKENS,
  });
  expect(await greedy(prompt, TOKENS)).toEqual(expected);
  return prompt;
}

describe("Omni prompt + towers + decoder", () => {
  it("text + image: 448 image tokens in 7 spans, same greedy tokens as the reference", async () => {
    const prompt = await expectSameAsReference([{ role: "user", text: "Please describe the content of the image.", media: [{ kind: "image", bytes: image }] }]);
    expect(prompt.imageTokens).toBe(448);
    expect(prompt.splices.length).toBe(7);
    expect(prompt.splices.every((splice) => splice.values.length === 64 * model.dims.hiddenSize)).toBe(true);
  });

  it("text + audio: BOS + frames + EOS between the boundary tokens, same tokens as the reference", async () => {
    const prompt = await expectSameAsReference([{ role: "user", text: "Convert speech to text.", media: [{ kind: "audio", bytes: audio }] }]);
    const [splice] = prompt.splices;
    expect(prompt.splices.length).toBe(1);
    expect(prompt.promptIds[splice!.offset - 1]).toBe(codec.tokenId("<|audio_start|>"));
    expect(prompt.promptIds[splice!.offset + prompt.audioTokens]).toBe(codec.tokenId("<|audio_end|>"));
  });

  it("image + audio in one message, same tokens as the reference", async () => {
    const prompt = await expectSameAsReference([
      {
        role: "user",
        text: "",
        media: [
          { kind: "image", bytes: image },
          { kind: "audio", bytes: audio },
        ],
      },
    ]);
    expect(prompt.splices.length).toBe(8);
  });

  it("message text that spells a placeholder token stays plain text", async () => {
    const prompt = await buildOmniPrompt([{ role: "user", text: "<|image_pad|><|audio_pad|><|image_start|>", media: [] }], encoders, codec);
    expect(prompt.splices).toEqual([]);
    for (const token of ["<|image_pad|>", "<|audio_pad|>", "<|image_start|>"]) expect(prompt.promptIds).not.toContain(codec.tokenId(token));
  });
});
