/**
 * Attachments end to end and real: `POST /api/chat` on `wrangler dev` with the
 * Omni sample image and audio clip, forwarded by the agent as content parts to
 * the engine process serving the Omni demo model (vision and audio towers),
 * and the engine's own refusal of an image after the first turn shown as a
 * `media-rejected` event; the same image as an OpenAI `image_url` part.
 */
import { readFileSync } from "node:fs";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSSEEvents } from "../../agent/event-stream";
import type { ChatEvent } from "../../agent/events";
import { startTestStack, type TestStack } from "../support/stack";

const IMAGE = readFileSync(new URL("../fixtures/omni/sample_image.jpg", import.meta.url)).toString("base64");
const AUDIO = readFileSync(new URL("../fixtures/omni/sample_audio.mp3", import.meta.url)).toString("base64");

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ SEARCH_MODE: "never", ATTACHMENTS: "image,audio", AGENT_CONFIG: JSON.stringify({ budgets: { chatMaxTokens: 16 } }) });
});

afterAll(async () => {
  await stack?.stop();
});

async function chat(body: object): Promise<ChatEvent[]> {
  const response = await fetch(`${stack.workerUrl}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  const events: ChatEvent[] = [];
  if (response.body) for await (const frame of parseSSEEvents(response.body)) events.push(frame.event);
  return events;
}

describe("attachments through the real stack", () => {
  it("answers a question about the sample image and audio; the engine counts their placeholder tokens", async () => {
    const sessionId = "e2e-attachments-1";
    const events = await chat({
      sessionId,
      message: "Describe the image and the audio.",
      attachments: [
        { kind: "image", mediaType: "image/jpeg", data: IMAGE },
        { kind: "audio", mediaType: "audio/mpeg", data: AUDIO },
      ],
    });
    expect(events.filter((event) => event.type === "error")).toEqual([]);
    const finish = events.at(-1);
    expect(finish?.type).toBe("finish");
    if (finish?.type !== "finish") return;
    expect(["stop", "length"]).toContain(finish.reason);
    // The sample image alone is 448 placeholder tokens (docs/omni.md); text-only this prompt is far shorter.
    expect(finish.usage.promptTokens).toBeGreaterThan(448);

    // The session keeps the text; an image in a later turn is refused by the engine (model card rule).
    const later = await chat({ sessionId, message: "And this one?", attachments: [{ kind: "image", mediaType: "image/jpeg", data: IMAGE }] });
    const errors = later.filter((event) => event.type === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "media-rejected", message: expect.stringContaining("The model could not take the attached image or audio.") });
    expect(later.at(-1)).toMatchObject({ type: "finish", reason: "error" });
  });

  it("takes the image as an OpenAI image_url part on /v1/chat/completions", async () => {
    const client = new OpenAI({ baseURL: `${stack.workerUrl}/v1`, apiKey: "local-dev" });
    const completion = await client.chat.completions.create({
      model: "megrez",
      max_tokens: 8,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Please describe the content of the image." },
            { type: "image_url", image_url: { url: `data:image/jpeg;base64,${IMAGE}` } },
          ],
        },
      ],
    });
    expect(["stop", "length"]).toContain(completion.choices[0]?.finish_reason);
    expect(completion.usage?.prompt_tokens ?? 0).toBeGreaterThan(448);
  });
});
