// Test oracle for whole Omni requests: prompt ids + media → float64 tower outputs spliced into the float64 LLaMA
// reference. Spliced rows are fed through ReferenceLlama as extra embedding rows appended past the vocabulary (the
// untied lm_head never sees them), so the engine's own reference forward pass is reused unchanged.
import type { LlamaDims } from "../../../container/model/llama-dims";
import { argmax, ReferenceLlama } from "../../support/reference-forward";
import { preprocessAudio } from "../../../container/omni/audio-preprocess";
import { preprocessImage } from "../../../container/omni/image-preprocess";
import type { OmniConfig } from "../../../container/omni/omni-dims";
import type { OmniMedia } from "../../../container/omni/omni-prompt";
import { referenceAudio, referenceVisionSlice } from "./reference-encoders";

type Weights = ReadonlyMap<string, Float32Array>;

// The float64 vision tower takes seconds per image: reuse its result across tests that send the same image bytes.
const imageCache = new WeakMap<Uint8Array, { weights: Weights; rows: Float64Array[][] }>();

async function referenceImageRows(bytes: Uint8Array, omni: OmniConfig, weights: Weights): Promise<Float64Array[][]> {
  const cached = imageCache.get(bytes);
  if (cached !== undefined && cached.weights === weights) return cached.rows;
  const inputs = await preprocessImage(bytes);
  const rows = inputs.slices.map((_, slice) => referenceVisionSlice(weights, omni.vision, inputs, slice));
  imageCache.set(bytes, { weights, rows });
  return rows;
}

function runsOf(ids: readonly number[], padId: number): number[] {
  const starts: number[] = [];
  for (let i = 0; i < ids.length; i++) if (ids[i] === padId && ids[i - 1] !== padId) starts.push(i);
  return starts;
}

export async function referenceOmniGreedy(options: {
  dims: LlamaDims;
  weights: Weights;
  omni: OmniConfig;
  omniWeights: Weights;
  promptIds: readonly number[];
  media: readonly OmniMedia[];
  imagePadId: number;
  audioPadId: number;
  count: number;
}): Promise<number[]> {
  const { dims, omni } = options;
  const hidden = dims.hiddenSize;
  const imageRows: Float64Array[][] = [];
  const audioRows: Float64Array[][] = [];
  for (const media of options.media) {
    if (media.kind === "image") {
      imageRows.push(...(await referenceImageRows(media.bytes, omni, options.omniWeights)));
    } else {
      audioRows.push(referenceAudio(options.omniWeights, omni.audio, await preprocessAudio(media.bytes)));
    }
  }
  const replaced = new Map<number, Float64Array>();
  for (const [runs, rows] of [
    [runsOf(options.promptIds, options.imagePadId), imageRows],
    [runsOf(options.promptIds, options.audioPadId), audioRows],
  ] as const) {
    for (const [index, start] of runs.entries()) {
      for (const [r, row] of rows[index]!.entries()) replaced.set(start + r, row);
    }
  }
  if (replaced.size === 0 && options.media.length > 0) throw new Error("no placeholder spans found");

  const embed = options.weights.get("model.embed_tokens.weight")!;
  const positions = [...replaced.keys()].sort((a, b) => a - b);
  const extended = new Float32Array(embed.length + positions.length * hidden);
  extended.set(embed);
  for (const [index, position] of positions.entries()) extended.set(replaced.get(position)!, embed.length + index * hidden);
  const weights = new Map(options.weights);
  weights.set("model.embed_tokens.weight", extended);
  const extraId = new Map(positions.map((position, index) => [position, dims.vocabSize + index]));

  const model = new ReferenceLlama(dims, weights);
  let logits: Float64Array = new Float64Array(0);
  for (const [position, id] of options.promptIds.entries()) logits = model.step(extraId.get(position) ?? id);
  const tokens: number[] = [];
  for (let i = 0; i < options.count; i++) {
    const next = argmax(logits);
    tokens.push(next);
    if (i < options.count - 1) logits = model.step(next);
  }
  return tokens;
}
