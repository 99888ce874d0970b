// Omni through the real engine HTTP server (OpenAI parts and the Megrez dict form): the tiny random Omni model
// answers text+image, text+audio and image+audio requests with the float64 reference's greedy tokens, multimodal
// rows batch with text-only ones in one prefill, and bad media or unsupported layouts get clear 400s.
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../../container/engine/create-engine";
import { loadOmniEmbedder } from "../../../container/omni/omni-support";
import type { GenerationEvent } from "../../../container/engine/generation-events";
import { DEFAULT_SAMPLING, type SamplingParams } from "../../../container/engine/sampling-params";
import { writeDemoModel } from "../../../container/demo/write-demo-model";
import type { OmniMedia } from "../../../container/omni/omni-prompt";
import { writeOmniDemoModel, type OmniDemoModelResult } from "../../../container/omni/write-omni-demo-model";
import { startTestServer, type TestServer } from "../engine/support/test-server";
import { referenceOmniGreedy } from "./reference-omni";

const FIXTURES = new URL("../../fixtures/omni/", import.meta.url);
const image = new Uint8Array(readFileSync(new URL("sample_image.jpg", FIXTURES)));
const wavName = readdirSync(new URL("train/audios/", FIXTURES))
  .filter((f) => f.endsWith(".wav"))
  .sort()[0]!;
const audio = new Uint8Array(readFileSync(new URL(`train/audios/${wavName}`, FIXTURES)));
const imageDataUrl = `data:image/jpeg;base64,${Buffer.from(image).toString("base64")}`;
const audioBase64 = Buffer.from(audio).toString("base64");
const TOKENS = 5;

let dir: string;
let model: OmniDemoModelResult;
let engine: Engine;
let textEngine: Engine;
let server: TestServer;
let textServer: TestServer;
let client: OpenAI;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "omni-server-"));
  model = writeOmniDemoModel({ outDir: join(dir, "omni"), seed: 11 });
  writeDemoModel({ outDir: join(dir, "text"), seed: 11 });
  const options = { executionProvider: "cpu" as const, mediaEmbedder: loadOmniEmbedder, maxBatch: 8, maxQueue: 16, requestTimeoutMs: 120_000 };
  engine = await createEngine({ ...options, modelDir: join(dir, "omni") });
  textEngine = await createEngine({ ...options, modelDir: join(dir, "text") });
  server = await startTestServer(engine);
  textServer = await startTestServer(textEngine);
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "EMPTY", maxRetries: 0 });
});

afterAll(async () => {
  await server?.close();
  await textServer?.close();
  await engine?.release();
  await textEngine?.release();
  rmSync(dir, { recursive: true, force: true });
});

async function referenceText(promptIds: readonly number[], media: OmniMedia[]): Promise<{ ids: number[]; text: string }> {
  const ids = await referenceOmniGreedy({
    dims: model.dims,
    weights: model.weights,
    omni: model.omni,
    omniWeights: model.omniWeights,
    promptIds,
    media,
    imagePadId: engine.codec.tokenId("<|image_pad|>")!,
    audioPadId: engine.codec.tokenId("<|audio_pad|>")!,
    count: TOKENS,
  });
  const end = ids.findIndex((id) => engine.codec.eosTokenIds.includes(id));
  const kept = end === -1 ? ids : ids.slice(0, end);
  return { ids: kept, text: engine.codec.decode(kept, true) };
}

async function promptFor(messages: Parameters<NonNullable<Engine["media"]>["prepare"]>[0]): Promise<readonly number[]> {
  return (await engine.media!.prepare(messages, true)).promptIds;
}

/**
 * POST on a fresh connection (agent: false). These tests run seconds of synchronous float64 reference work between
 * requests; a pooled keep-alive socket can then be closed by the server's keep-alive timer just as it is reused.
 */
function post(base: string, body: unknown): Promise<{ status: number; json: () => Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body));
    const request = httpRequest(
      `${base}/v1/chat/completions`,
      { method: "POST", agent: false, headers: { "content-type": "application/json", "content-length": payload.length } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, json: async () => JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown }),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(payload);
  });
}

describe("Omni requests through the server", () => {
  // Each test computes its float64 reference (seconds of synchronous work) before its HTTP request.
  it("text + image (OpenAI image_url data URL, via the openai client) gives the reference tokens", async () => {
    const promptIds = await promptFor([
      {
        role: "user",
        content: "Please describe the content of the image.",
        media: [{ kind: "image", source: { type: "data", base64: imageDataUrl.split(",")[1]! } }],
      },
    ]);
    const expected = await referenceText(promptIds, [{ kind: "image", bytes: image }]);
    const completion = await client.chat.completions.create({
      model: "megrez",
      max_tokens: TOKENS,
      temperature: 0,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Please describe the content of the image." },
            { type: "image_url", image_url: { url: imageDataUrl } },
          ],
        },
      ],
    });
    expect(completion.usage?.prompt_tokens).toBe(promptIds.length);
    expect(promptIds.filter((id) => id === engine.codec.tokenId("<|image_pad|>")).length).toBe(448);
    expect(expected.ids.length).toBeGreaterThan(0);
    expect(completion.choices[0]?.message.content).toBe(expected.text);
  });

  it("streams an image request through the openai client with the same text as the non-streaming answer", async () => {
    const request = {
      model: "megrez",
      max_tokens: TOKENS,
      temperature: 0,
      messages: [
        {
          role: "user" as const,
          content: [
            { type: "image_url" as const, image_url: { url: imageDataUrl } },
            { type: "text" as const, text: "What is this?" },
          ],
        },
      ],
    };
    const whole = await client.chat.completions.create(request);
    let streamed = "";
    let usage: { prompt_tokens: number } | undefined;
    for await (const chunk of await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } })) {
      streamed += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(streamed).toBe(whole.choices[0]?.message.content);
    expect(usage?.prompt_tokens).toBe(whole.usage?.prompt_tokens);
  });

  it("text + audio (input_audio wav) gives the reference tokens", async () => {
    const promptIds = await promptFor([
      { role: "user", content: "Convert speech to text.", media: [{ kind: "audio", source: { type: "data", base64: audioBase64 } }] },
    ]);
    const expected = await referenceText(promptIds, [{ kind: "audio", bytes: audio }]);
    const response = await post(server.url, {
      max_tokens: TOKENS,
      temperature: 0,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Convert speech to text." },
            { type: "input_audio", input_audio: { data: audioBase64, format: "wav" } },
          ],
        },
      ],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(expected.ids.length).toBeGreaterThan(0);
    expect(body.choices[0]?.message.content).toBe(expected.text);
  });

  it("image + audio in the Megrez dict form gives the reference tokens", async () => {
    const content = { text: "", image: imageDataUrl, audio: `data:audio/wav;base64,${audioBase64}` };
    const promptIds = await promptFor([
      {
        role: "user",
        content: "",
        media: [
          { kind: "image", source: { type: "data", base64: imageDataUrl.split(",")[1]! } },
          { kind: "audio", source: { type: "data", base64: audioBase64 } },
        ],
      },
    ]);
    const expected = await referenceText(promptIds, [
      { kind: "image", bytes: image },
      { kind: "audio", bytes: audio },
    ]);
    const response = await post(server.url, { max_tokens: TOKENS, temperature: 0, messages: [{ role: "user", content }] });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(expected.ids.length).toBeGreaterThan(0);
    expect(body.choices[0]?.message.content).toBe(expected.text);
  });

  it("batches image, audio and text-only rows in one left-padded prefill with each row's own tokens", async () => {
    const imageMessages = [
      { role: "user", content: "What is shown?", media: [{ kind: "image" as const, source: { type: "data" as const, base64: imageDataUrl.split(",")[1]! } }] },
    ];
    const audioMessages = [
      { role: "user", content: "Convert speech to text.", media: [{ kind: "audio" as const, source: { type: "data" as const, base64: audioBase64 } }] },
    ];
    const imagePrompt = await engine.media!.prepare(imageMessages, true);
    const audioPrompt = await engine.media!.prepare(audioMessages, true);
    const textIds = engine.codec.encodeChat([{ role: "user", content: "Hello there" }], true);
    const params = { ...defaultParams(), maxTokens: TOKENS };
    // Submitted synchronously: the image row is prefilled first, the text and audio rows join together in the next
    // (left-padded) prefill, then all three share decode steps.
    const runs = [
      engine.scheduler.submit({ promptIds: imagePrompt.promptIds, params, embeddingSplices: imagePrompt.splices }),
      engine.scheduler.submit({ promptIds: textIds, params }),
      engine.scheduler.submit({ promptIds: audioPrompt.promptIds, params, embeddingSplices: audioPrompt.splices }),
    ].map(finalTokenIds);
    const [imageIds, textOnlyIds, audioIds] = await Promise.all(runs);
    expect(imageIds).toEqual((await referenceText(imagePrompt.promptIds, [{ kind: "image", bytes: image }])).ids);
    expect(textOnlyIds).toEqual((await referenceText(textIds, [])).ids);
    expect(audioIds).toEqual((await referenceText(audioPrompt.promptIds, [{ kind: "audio", bytes: audio }])).ids);
  });
});

function defaultParams(): SamplingParams {
  return { ...DEFAULT_SAMPLING, temperature: 0, maxTokens: TOKENS };
}

async function finalTokenIds(events: AsyncIterable<GenerationEvent>): Promise<number[]> {
  for await (const event of events) {
    if (event.type === "finish") {
      const end = event.tokenIds.findIndex((id) => engine.codec.eosTokenIds.includes(id));
      return end === -1 ? [...event.tokenIds] : event.tokenIds.slice(0, end);
    }
    if (event.type === "error") throw event.error;
  }
  throw new Error("no finish event");
}

describe("bad media and unsupported layouts", () => {
  const errorOf = async (base: string, messages: unknown[]) => {
    const response = await post(base, { max_tokens: 2, messages });
    const body = (await response.json()) as { error?: { message: string; type: string; code: string; param: string | null } };
    return { status: response.status, error: body.error };
  };

  it("rejects an undecodable image and a broken audio clip with 400s that say what is wrong", async () => {
    const badImage = await errorOf(server.url, [
      { role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,aGVsbG8gd29ybGQ=" } }] },
    ]);
    expect(badImage.status).toBe(400);
    expect(badImage.error?.type).toBe("invalid_request_error");
    expect(badImage.error?.message).toMatch(/image could not be decoded/);
    const badAudio = await errorOf(server.url, [
      { role: "user", content: [{ type: "input_audio", input_audio: { data: "UklGRgAAAABXQVZF", format: "wav" } }] },
    ]);
    expect(badAudio.status).toBe(400);
    expect(badAudio.error?.message).toMatch(/audio/i);
  });

  it("rejects malformed parts, file paths, non-base64 data and unknown part types at validation", async () => {
    for (const content of [
      [{ type: "image_url", image_url: { url: "/etc/passwd" } }],
      [{ type: "image_url", image_url: { url: "data:image/png;base64,@@@" } }],
      [{ type: "input_audio", input_audio: { data: "abc", format: "ogg" } }],
      [{ type: "video_url", video_url: { url: "https://example.com/v.mp4" } }],
      { text: "hi", video: "x" },
    ]) {
      const result = await errorOf(server.url, [{ role: "user", content }]);
      expect(result.status).toBe(400);
      expect(result.error?.code).toBe("invalid_request");
    }
  });

  it("enforces one image and one audio per user message, images in the first user turn only", async () => {
    const imagePart = { type: "image_url", image_url: { url: imageDataUrl } };
    const twoImages = await errorOf(server.url, [{ role: "user", content: [imagePart, imagePart] }]);
    expect(twoImages.status).toBe(400);
    expect(twoImages.error?.message).toMatch(/at most one image and one audio/);
    const laterTurn = await errorOf(server.url, [
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
      { role: "user", content: [imagePart] },
    ]);
    expect(laterTurn.status).toBe(400);
    expect(laterTurn.error?.message).toMatch(/first user message/);
    expect(laterTurn.error?.param).toBe("messages.2.content");
    const fromAssistant = await errorOf(server.url, [
      { role: "assistant", content: [imagePart] },
      { role: "user", content: "?" },
    ]);
    expect(fromAssistant.error?.message).toMatch(/user messages only/);
  });

  it("refuses image URLs that point at private addresses (no request leaves for them)", async () => {
    let hits = 0;
    const local: Server = createServer((_, response) => {
      hits += 1;
      response.end(Buffer.from(image));
    });
    await new Promise<void>((resolve) => local.listen(0, "127.0.0.1", resolve));
    const { port } = local.address() as AddressInfo;
    try {
      for (const url of [`http://127.0.0.1:${port}/image.jpg`, `http://localhost:${port}/image.jpg`]) {
        const result = await errorOf(server.url, [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }]);
        expect(result.status).toBe(400);
        expect(result.error?.message).toMatch(/private or reserved/);
      }
      expect(hits).toBe(0);
    } finally {
      await new Promise((resolve) => local.close(resolve));
    }
  });

  it("a text-only model answers media with a 400 instead of dropping it", async () => {
    const result = await errorOf(textServer.url, [
      {
        role: "user",
        content: [
          { type: "text", text: "hi" },
          { type: "image_url", image_url: { url: imageDataUrl } },
        ],
      },
    ]);
    expect(result.status).toBe(400);
    expect(result.error?.message).toMatch(/does not accept images or audio/);
  });
});
