/**
 * Attachments on the chat endpoints inside workerd: accepted only for the
 * kinds ATTACHMENTS offers, validated (types, base64, size, one per kind),
 * forwarded to the engine as OpenAI content parts on the last user message,
 * kept out of the session, and the engine's refusal shown as an error event.
 */
import { describe, expect, it } from "vitest";
import { parseSSEEvents, type ParsedSSEEvent } from "../../../agent/event-stream";
import { errorOf, postJson, request, type TestVars } from "./support/api";
import { createFakeEngine, type FakeEngine } from "./support/fake-engine";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const WAV = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAgD4AAAB9AAACABAAZGF0YQAAAAA=";
const image = { kind: "image", mediaType: "image/png", data: PNG };
const audio = { kind: "audio", mediaType: "audio/wav", data: WAV };

async function readAll(res: Response): Promise<ParsedSSEEvent[]> {
  const out: ParsedSSEEvent[] = [];
  if (!res.body) return out;
  for await (const e of parseSSEEvents(res.body)) out.push(e);
  return out;
}

function chatCalls(engine: FakeEngine) {
  return engine.calls.filter((c) => c.path === "/v1/chat/completions");
}

const enabled = (engine: FakeEngine, extra: TestVars = {}): TestVars => ({ ENGINE: engine, ATTACHMENTS: "image,audio", ...extra });

describe("POST /api/chat with attachments", () => {
  it("forwards an image and an audio clip as content parts on the question in every model call", async () => {
    const engine = createFakeEngine();
    const res = await request(
      "/api/chat",
      postJson({ sessionId: "attach-session-1", message: "Please search what this is", attachments: [image, audio] }),
      enabled(engine),
    );
    expect(res.status).toBe(200);
    const events = (await readAll(res)).map((e) => e.event);
    expect(events.filter((e) => e.type === "error")).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: "finish", reason: "stop" });
    const calls = chatCalls(engine);
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      const users = call.body.messages?.filter((m) => m.role === "user") ?? [];
      expect(users.at(-1)?.content).toEqual([
        { type: "text", text: "Please search what this is" },
        { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
        { type: "input_audio", input_audio: { data: WAV, format: "wav" } },
      ]);
    }
    for (const call of engine.calls.filter((c) => c.path === "/v1/completions")) expect(JSON.stringify(call.body)).not.toContain(PNG);

    const history: { messages: { role: string; content: string }[] } = await (await request("/api/sessions/attach-session-1")).json();
    expect(history.messages[0]).toMatchObject({ role: "user", content: "Please search what this is" });
    expect(JSON.stringify(history)).not.toContain(PNG);
  });

  it("sends a later turn's history as text only", async () => {
    const engine = createFakeEngine();
    const vars = enabled(engine);
    await request("/api/chat", postJson({ sessionId: "attach-session-2", message: "Look", search: "never", attachments: [image] }), vars);
    await request("/api/chat", postJson({ sessionId: "attach-session-2", message: "And now?", search: "never" }), vars);
    const last = chatCalls(engine).at(-1)?.body.messages ?? [];
    expect(last.slice(1)).toEqual([
      { role: "user", content: "Look" },
      { role: "assistant", content: "Hello from the fake engine." },
      { role: "user", content: "And now?" },
    ]);
  });

  it("refuses a kind the service does not offer, before calling the engine", async () => {
    const engine = createFakeEngine();
    const off = await request("/api/chat", postJson({ message: "hi", attachments: [image] }), { ENGINE: engine });
    expect(off.status).toBe(400);
    expect(await errorOf(off)).toEqual({
      message: "This service does not accept image attachments.",
      type: "invalid_request_error",
      param: null,
      code: "attachment_not_allowed",
    });
    const imageOnly = await request("/api/chat", postJson({ message: "hi", attachments: [audio] }), { ENGINE: engine, ATTACHMENTS: "image" });
    expect((await errorOf(imageOnly)).message).toBe("This service does not accept audio attachments.");
    expect(engine.calls).toEqual([]);
  });

  it("validates media type, base64, count and size", async () => {
    const engine = createFakeEngine();
    const cases: [unknown[], string][] = [
      [[{ ...image, mediaType: "image/gif" }], "attachments.0.mediaType: image must be one of image/jpeg, image/png, image/webp"],
      [[{ ...audio, mediaType: "image/png" }], "attachments.0.mediaType: audio must be one of audio/wav"],
      [[{ ...image, data: "not base64!" }], "attachments.0.data: expected standard base64"],
      [[{ ...image, data: `data:image/png;base64,${PNG}` }], "attachments.0.data: expected standard base64"],
      [[image, { ...image }], "attachments: at most one image and one audio clip"],
      [[{ kind: "video", mediaType: "video/mp4", data: PNG }], "attachments.0.kind"],
    ];
    for (const [attachments, message] of cases) {
      const res = await request("/api/chat", postJson({ message: "hi", attachments }), enabled(engine));
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe("invalid_body");
      expect(error.message).toContain(message);
    }
    const small = await request("/api/chat", postJson({ message: "hi", attachments: [image] }), enabled(engine, { MAX_ATTACHMENT_BYTES: "40" }));
    expect(small.status).toBe(400);
    expect((await errorOf(small)).message).toContain("attachments.0.data: the attachment exceeds 40 bytes");
    expect(engine.calls).toEqual([]);
  });

  it("makes room in the body cap for attachments only when they are on offer", async () => {
    const engine = createFakeEngine();
    const big = { ...image, data: "A".repeat(200_000) };
    const vars = { MAX_BODY_BYTES: "2000", MAX_ATTACHMENT_BYTES: "300000" };
    const off = await request("/api/chat", postJson({ message: "hi", search: "never", attachments: [big] }), { ENGINE: engine, ...vars });
    expect(off.status).toBe(413);
    const on = await request("/api/chat", postJson({ message: "hi", search: "never", attachments: [big] }), enabled(engine, vars));
    expect(on.status).toBe(200);
    await readAll(on);
    const text = await request(
      "/api/chat",
      postJson({ message: "x".repeat(5_000), search: "never" }),
      enabled(engine, { ...vars, MAX_MESSAGE_CHARS: "10000" }),
    );
    expect(text.status).toBe(200);
  });

  it("turns the engine's refusal of the media into a media-rejected error event", async () => {
    const engine = createFakeEngine({
      failWith: { status: 400, body: JSON.stringify({ error: { message: "The image could not be decoded.", type: "invalid_request_error" } }) },
    });
    const res = await request("/api/chat", postJson({ message: "What is this?", search: "never", attachments: [image] }), enabled(engine));
    const events = (await readAll(res)).map((e) => e.event);
    expect(events.filter((e) => e.type === "error")).toEqual([
      {
        type: "error",
        code: "media-rejected",
        message: "The model could not take the attached image or audio. The image could not be decoded.",
        retryable: false,
        param: "messages",
      },
    ]);
    expect(events.at(-1)).toMatchObject({ type: "finish", reason: "error" });
  });
});

describe("GET /widget/capabilities", () => {
  it("offers what ATTACHMENTS lists, with MAX_ATTACHMENT_BYTES", async () => {
    const res = await request("/widget/capabilities", {}, { ATTACHMENTS: "audio", MAX_ATTACHMENT_BYTES: "1000" });
    expect(await res.json()).toEqual({
      attachments: { image: false, audio: true },
      maxAttachmentBytes: 1000,
      mediaTypes: ["audio/wav", "audio/x-wav", "audio/mpeg", "audio/mp3"],
    });
    const bad = await request("/widget/capabilities", {}, { ATTACHMENTS: "video" });
    expect(bad.status).toBe(500);
    expect(await errorOf(bad)).toMatchObject({ code: "config_invalid", message: expect.stringContaining("misconfigured") });
  });
});

describe("POST /v1/chat/completions with media parts", () => {
  const completion = (content: unknown, extra: object = {}) => postJson({ model: "megrez", search: "never", messages: [{ role: "user", content }], ...extra });

  it("maps image_url and input_audio parts of the last user message to the engine's parts", async () => {
    const engine = createFakeEngine();
    const res = await request(
      "/v1/chat/completions",
      completion([
        { type: "text", text: "Describe" },
        { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
        { type: "input_audio", input_audio: { data: WAV, format: "mp3" } },
      ]),
      enabled(engine),
    );
    expect(res.status).toBe(200);
    const body: { choices: { message: { content: string } }[] } = await res.json();
    expect(body.choices[0]?.message.content).toBe("Hello from the fake engine.");
    expect(chatCalls(engine)[0]?.body.messages?.at(-1)?.content).toEqual([
      { type: "text", text: "Describe" },
      { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
      { type: "input_audio", input_audio: { data: WAV, format: "mp3" } },
    ]);
  });

  it("refuses media when not on offer, remote URLs, media in earlier messages and two images", async () => {
    const engine = createFakeEngine();
    const dataUrl = { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } };
    const off = await request("/v1/chat/completions", completion([dataUrl]), { ENGINE: engine });
    expect(await errorOf(off)).toMatchObject({ code: "attachment_not_allowed" });
    const remote = await request(
      "/v1/chat/completions",
      completion([{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }]),
      enabled(engine),
    );
    expect(await errorOf(remote)).toMatchObject({ code: "invalid_body", message: expect.stringContaining("image_url must be a data: URL") });
    const earlier = await request(
      "/v1/chat/completions",
      postJson({
        model: "megrez",
        messages: [
          { role: "user", content: [dataUrl] },
          { role: "assistant", content: "ok" },
          { role: "user", content: "and?" },
        ],
      }),
      enabled(engine),
    );
    expect(await errorOf(earlier)).toMatchObject({ code: "invalid_body", message: expect.stringContaining("last user message only") });
    const two = await request("/v1/chat/completions", completion([dataUrl, dataUrl]), enabled(engine));
    expect(await errorOf(two)).toMatchObject({ code: "invalid_body", message: expect.stringContaining("at most one image and one audio clip") });
    const gif = await request("/v1/chat/completions", completion([{ type: "image_url", image_url: `data:image/gif;base64,${PNG}` }]), enabled(engine));
    expect(await errorOf(gif)).toMatchObject({ code: "invalid_body", message: expect.stringContaining("image must be one of") });
    expect(engine.calls).toEqual([]);
  });
});
