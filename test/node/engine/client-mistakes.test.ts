// Client mistakes that used to become 500s or worse on the engine's own API: a chat message of ~150 000+ tokens (a stack
// overflow in the codec) is a 400 context_length_exceeded found after counting about the context's worth of tokens, and a
// role holding the placeholder sequence \uE000<n>\uE001 (which copied message n's content into the role) is refused.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Engine } from "../../../container/engine/create-engine";
import { makeTestModel, testEngine } from "./support/test-engine";
import { startTestServer, type TestServer } from "./support/test-server";

const model = makeTestModel(23);
let engine: Engine;
let server: TestServer;
beforeAll(async () => {
  engine = await testEngine(model, { maxBatch: 2, maxQueue: 4 });
  server = await startTestServer(engine);
});
afterAll(async () => {
  await server.close();
  await engine.release();
  model.cleanup();
});

const post = (path: string, body: unknown): Promise<Response> =>
  fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** About a megabyte of varied words: well over 150 000 tokens for any of our tokenizers. */
function hugeText(): string {
  let text = "";
  for (let index = 0; text.length < 1_000_000; index++) text += `w${(index * 7919) % 100_003}x${index % 97} `;
  return text;
}

describe("engine API: client mistakes are 4xx", () => {
  it("assembles a prompt of 150 000+ tokens without overflowing the stack", () => {
    // The same assembly path a 150 000-token message takes, without spending a minute encoding one.
    const many = Array.from({ length: 200_000 }, (_, index) => 100 + (index % 50));
    const ids = engine.codec.encodeChatSegments([{ role: "user", content: ["look: ", { tokenIds: many }] }], true);
    expect(ids.length).toBeGreaterThan(200_000);
  });

  it("answers a megabyte chat message with 400 context_length_exceeded, counting only about the context's worth", async () => {
    const text = hugeText();
    const encoded = vi.spyOn(engine.codec, "encodePlainText");
    const response = await post("/v1/chat/completions", { messages: [{ role: "user", content: text }], max_tokens: 4 });
    const charsEncoded = encoded.mock.calls.reduce((sum, [chunk]) => sum + chunk.length, 0);
    encoded.mockRestore();
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({ code: "context_length_exceeded", type: "invalid_request_error", param: "messages" });
    expect(charsEncoded).toBeLessThan(text.length / 10);
    const prompt = await post("/v1/completions", { prompt: text, max_tokens: 4 });
    expect(prompt.status).toBe(400);
    expect((await prompt.json()).error).toMatchObject({ code: "context_length_exceeded", param: "prompt" });
  });

  it("refuses a role holding the placeholder sequence, and the codec never renders it as a placeholder", async () => {
    const secret = "the system prompt's secret";
    for (const role of ["\uE0000\uE001", "user\uE000", "\uE001"]) {
      const response = await post("/v1/chat/completions", {
        messages: [
          { role: "system", content: secret },
          { role, content: "hi" },
        ],
        max_tokens: 2,
      });
      expect(response.status).toBe(400);
      expect((await response.json()).error).toMatchObject({ code: "invalid_request", param: "messages.1.role" });
    }
    const ids = engine.codec.encodeChat(
      [
        { role: "system", content: secret },
        { role: "\uE0000\uE001", content: "hi" },
      ],
      true,
    );
    const secretIds = engine.codec.encodePlainText(secret);
    const occurrences = ids.filter((_, index) => secretIds.every((id, offset) => ids[index + offset] === id)).length;
    expect(occurrences).toBe(1);
  });

  it("still refuses an overlong role and keeps ordinary roles working", async () => {
    expect((await post("/v1/chat/completions", { messages: [{ role: "r".repeat(300), content: "hi" }] })).status).toBe(400);
    expect((await post("/v1/chat/completions", { messages: [{ role: "observation", content: "hi" }], max_tokens: 2 })).status).toBe(200);
  });
});
