/**
 * Attachments through the agent: only the last user message's media reach the
 * model, on the question in every chat call of the turn (decision and answer),
 * never in summaries; their placeholder tokens are held back from max_tokens;
 * the HTTP client sends them as OpenAI content parts and turns the engine's
 * 400 into a `media-rejected` error event that carries the engine's reason.
 */
import { describe, expect, it } from "vitest";
import { mediaTokens, type Attachment } from "../../../agent/attachments";
import { parseAgentConfig } from "../../../agent/config";
import { createHttpModelClient } from "../../../agent/model-client";
import { runAgent } from "../../../agent/run-agent";
import { callText, collect, makeDeps, scriptedModel } from "./fakes";

const image: Attachment = { kind: "image", mediaType: "image/png", data: "iVBORw0KGgo=" };
const oldImage: Attachment = { kind: "image", mediaType: "image/jpeg", data: "/9j/4AAQ" };

/** A WAV header (16 kHz mono 16-bit: 32000 bytes/s) followed by `seconds` of silence. */
function wav(seconds: number): Attachment {
  const payload = 32_000 * seconds;
  const bytes = new Uint8Array(44 + payload);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode("RIFF"), 0);
  view.setUint32(4, 36 + payload, true);
  bytes.set(new TextEncoder().encode("WAVEfmt "), 8);
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, 16_000, true);
  view.setUint32(28, 32_000, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  bytes.set(new TextEncoder().encode("data"), 36);
  view.setUint32(40, payload, true);
  return { kind: "audio", mediaType: "audio/wav", data: Buffer.from(bytes).toString("base64") };
}

describe("attachments in the agent", () => {
  it("sends the last user message's media on the question in the decision and the answer call", async () => {
    const model = scriptedModel({
      chats: [{ chunks: [callText("cat photo")] }, { chunks: ["A cat [citation:1]."] }],
    });
    const events = await collect(
      runAgent(
        {
          messages: [
            { role: "user", content: "Earlier question", attachments: [oldImage] },
            { role: "assistant", content: "Earlier answer" },
            { role: "user", content: "What is in this picture?", attachments: [image] },
          ],
        },
        makeDeps(model),
      ),
    );
    expect(events.at(-1)).toMatchObject({ type: "finish", reason: "stop" });
    expect(model.chatCalls).toHaveLength(2);
    for (const call of model.chatCalls) {
      const withMedia = call.messages.filter((message) => message.attachments !== undefined);
      expect(withMedia).toStrictEqual([{ role: "user", content: "What is in this picture?", attachments: [image] }]);
      expect(call.messages.find((message) => message.content === "Earlier question")?.attachments).toBeUndefined();
    }
    expect(model.completeCalls.length).toBeGreaterThan(0);
    for (const call of model.completeCalls) expect(call.prompts.join("")).not.toContain(image.data);
  });

  it("takes a user message with media and no text as the question", async () => {
    const model = scriptedModel({ chats: [{ chunks: ["A picture."] }] });
    const events = await collect(
      runAgent(
        {
          messages: [
            { role: "user", content: "Before" },
            { role: "user", content: " ", attachments: [image] },
          ],
          search: "never",
        },
        makeDeps(model),
      ),
    );
    expect(events.at(-1)).toMatchObject({ type: "finish", reason: "stop" });
    expect(model.chatCalls[0]?.messages.at(-1)).toStrictEqual({ role: "user", content: "", attachments: [image] });
  });

  it("reserves the media's tokens so prompt and answer still fit the context", async () => {
    const budgets = { contextTokens: 1_200, chatMaxTokens: 1_024 };
    const run = async (attachments?: Attachment[]) => {
      const model = scriptedModel({ chats: [{ chunks: ["Fine."] }] });
      const deps = makeDeps(model, { config: { budgets } });
      await collect(runAgent({ messages: [{ role: "user", content: "Describe it.", ...(attachments ? { attachments } : {}) }], search: "never" }, deps));
      return model.chatCalls[0]?.maxTokens ?? 0;
    };
    const plain = await run();
    const config = parseAgentConfig({ budgets });
    expect(await run([image])).toBe(plain - config.budgets.imageTokens);
    expect(await run([image, wav(2)])).toBe(plain - config.budgets.imageTokens - (2 * 25 + 2));
  });

  it("counts audio by its WAV duration, capped per clip; an unreadable length takes the cap", () => {
    const budgets = parseAgentConfig().budgets;
    expect(mediaTokens([wav(4)], budgets)).toBe(102);
    expect(mediaTokens([wav(40)], budgets)).toBe(752);
    expect(mediaTokens([{ kind: "audio", mediaType: "audio/mpeg", data: "SUQz" }], budgets)).toBe(752);
    expect(mediaTokens([image], budgets)).toBe(672);
  });

  it("the HTTP client sends content parts and reports the engine's refusal as media-rejected", async () => {
    const bodies: unknown[] = [];
    const client = createHttpModelClient({
      baseUrl: "http://engine.test/v1",
      model: "megrez",
      fetch: async (_url, init) => {
        bodies.push(JSON.parse(String(init?.body)));
        return Response.json({ error: { message: "Images are only supported in the first user message." } }, { status: 400 });
      },
    });
    const model = Object.assign(client, { countTokens: async (text: string) => Math.ceil(text.length / 4) });
    const audio: Attachment = { kind: "audio", mediaType: "audio/mpeg", data: "SUQz" };
    const events = await collect(
      runAgent({ messages: [{ role: "user", content: "Hear this", attachments: [image, audio] }], search: "never" }, makeDeps(model)),
    );
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatchObject({
      messages: [
        { role: "system" },
        {
          role: "user",
          content: [
            { type: "text", text: "Hear this" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${image.data}` } },
            { type: "input_audio", input_audio: { data: "SUQz", format: "mp3" } },
          ],
        },
      ],
    });
    expect(events.filter((event) => event.type === "error")).toStrictEqual([
      {
        type: "error",
        code: "media-rejected",
        message: "The model could not take the attached image or audio. Images are only supported in the first user message.",
        retryable: false,
        param: "messages",
      },
    ]);
    expect(events.at(-1)).toMatchObject({ type: "finish", reason: "error" });
  });
});
