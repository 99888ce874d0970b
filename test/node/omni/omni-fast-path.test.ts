// Omni on the fast graph: the same tiny random Omni model written with the standard decoder and with the fast
// decoder (float32 and float16 compute). Image and audio embeddings splice into the fast graph's inputs_embeds
// (in its compute type) at prefill; a batch of an image, a text-only and an audio request gives each the float64
// reference's greedy tokens on the float32 fast graph, and the float16 fast graph agrees with it on these prompts.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../../container/engine/create-engine";
import type { GenerationEvent } from "../../../container/engine/generation-events";
import type { MediaChatMessage } from "../../../container/engine/media-embedder";
import { DEFAULT_SAMPLING } from "../../../container/engine/sampling-params";
import { loadOmniEmbedder } from "../../../container/omni/omni-support";
import { writeOmniDemoModel, type OmniDemoModelResult } from "../../../container/omni/write-omni-demo-model";
import { referenceOmniGreedy } from "./reference-omni";

const FIXTURES = new URL("../../fixtures/omni/", import.meta.url);
const image = new Uint8Array(readFileSync(new URL("sample_image.jpg", FIXTURES)));
const wavName = readdirSync(new URL("train/audios/", FIXTURES))
  .filter((f) => f.endsWith(".wav"))
  .sort()[0]!;
const audio = new Uint8Array(readFileSync(new URL(`train/audios/${wavName}`, FIXTURES)));
const TOKENS = 6;

let dir: string;
let model: OmniDemoModelResult;
let fast32: Engine;
let fast16: Engine;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "omni-fast-"));
  model = writeOmniDemoModel({ outDir: join(dir, "fast32"), seed: 11, graph: "fast", dtype: "fp32" });
  writeOmniDemoModel({ outDir: join(dir, "fast16"), seed: 11, graph: "fast", dtype: "fp16" });
  const options = { executionProvider: "cpu" as const, mediaEmbedder: loadOmniEmbedder, maxBatch: 8, maxQueue: 16, requestTimeoutMs: 120_000 };
  fast32 = await createEngine({ ...options, modelDir: join(dir, "fast32") });
  fast16 = await createEngine({ ...options, modelDir: join(dir, "fast16") });
});

afterAll(async () => {
  await fast32?.release();
  await fast16?.release();
  rmSync(dir, { recursive: true, force: true });
});

const imageMessages: MediaChatMessage[] = [
  { role: "user", content: "What is shown?", media: [{ kind: "image", source: { type: "data", base64: Buffer.from(image).toString("base64") } }] },
];
const audioMessages: MediaChatMessage[] = [
  { role: "user", content: "Convert speech to text.", media: [{ kind: "audio", source: { type: "data", base64: Buffer.from(audio).toString("base64") } }] },
];

async function tokenIds(events: AsyncIterable<GenerationEvent>): Promise<readonly number[]> {
  for await (const event of events) {
    if (event.type === "finish") return event.tokenIds;
    if (event.type === "error") throw event.error;
  }
  return [];
}

/** Image, text-only and audio requests submitted together (they batch for decoding). */
async function batch(engine: Engine): Promise<{ ids: (readonly number[])[]; prompts: number[][] }> {
  const imagePrompt = await engine.media!.prepare(imageMessages, true);
  const audioPrompt = await engine.media!.prepare(audioMessages, true);
  const textIds = engine.codec.encodeChat([{ role: "user", content: "Hello there" }], true);
  const params = { ...DEFAULT_SAMPLING, temperature: 0, maxTokens: TOKENS, ignoreEos: true };
  const ids = await Promise.all([
    tokenIds(engine.scheduler.submit({ promptIds: imagePrompt.promptIds, params, embeddingSplices: imagePrompt.splices })),
    tokenIds(engine.scheduler.submit({ promptIds: textIds, params })),
    tokenIds(engine.scheduler.submit({ promptIds: audioPrompt.promptIds, params, embeddingSplices: audioPrompt.splices })),
  ]);
  return { ids, prompts: [imagePrompt.promptIds, textIds, audioPrompt.promptIds] };
}

describe("Omni on the fast graph", () => {
  it("image, text-only and audio rows batched on the float32 fast graph each get the float64 reference's tokens", async () => {
    expect(fast32.folder.graph).toBe("fast");
    const { ids, prompts } = await batch(fast32);
    const media = [[{ kind: "image" as const, bytes: image }], [], [{ kind: "audio" as const, bytes: audio }]];
    for (const [row, promptIds] of prompts.entries()) {
      const expected = await referenceOmniGreedy({
        dims: model.dims,
        weights: model.weights,
        omni: model.omni,
        omniWeights: model.omniWeights,
        promptIds,
        media: media[row] ?? [],
        imagePadId: fast32.codec.tokenId("<|image_pad|>")!,
        audioPadId: fast32.codec.tokenId("<|audio_pad|>")!,
        count: TOKENS,
      });
      expect(ids[row]).toEqual(expected);
    }
  });

  it("the float16 fast graph, embeddings spliced in half precision, gives the same tokens on these prompts", async () => {
    const half = await batch(fast16);
    const full = await batch(fast32);
    expect(half.ids).toEqual(full.ids);
  });
});
