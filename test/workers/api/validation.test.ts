import { describe, expect, it } from "vitest";
import { errorOf, postJson, request } from "./support/api";
import { createFakeEngine } from "./support/fake-engine";

const chat = (body: unknown) => postJson({ model: "megrez", ...((body as object) ?? {}) });

describe("request validation", () => {
  it("rejects malformed JSON", async () => {
    const res = await request("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: '{"model": ' });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({ message: "The request body is not valid JSON.", type: "invalid_request_error", param: null, code: "invalid_json" });
  });

  it("names the field with a wrong type", async () => {
    const res = await request("/v1/chat/completions", chat({ messages: "hello" }));
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("invalid_body");
    expect(error.message).toContain("messages");
  });

  it("requires the last message to come from the user", async () => {
    const res = await request("/v1/chat/completions", chat({ messages: [{ role: "assistant", content: "hi" }] }));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain("the last message must have role `user`");
  });

  it("rejects n > 1 and out-of-range temperature", async () => {
    const messages = [{ role: "user", content: "hi" }];
    expect((await request("/v1/chat/completions", chat({ messages, n: 2 }))).status).toBe(400);
    expect((await request("/v1/chat/completions", chat({ messages, temperature: 3 }))).status).toBe(400);
  });

  it("refuses by name what it cannot honour (tools, JSON mode, logprobs) and accepts their no-op forms", async () => {
    const messages = [{ role: "user", content: "hi" }];
    const tool = { type: "function", function: { name: "lookup", parameters: { type: "object", properties: {} } } };
    for (const [extra, field] of [
      [{ tools: [tool] }, "tools"],
      [{ tool_choice: "required" }, "tool_choice"],
      [{ functions: [tool.function] }, "functions"],
      [{ response_format: { type: "json_object" } }, "response_format"],
      [{ logprobs: true }, "logprobs"],
    ] as const) {
      const res = await request("/v1/chat/completions", chat({ messages, ...extra }));
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe("invalid_body");
      expect(error.message).toContain(field);
    }
    for (const extra of [{ tools: [] }, { tool_choice: "none" }, { response_format: { type: "text" } }, { logprobs: false }, { tools: null }]) {
      const res = await request("/v1/chat/completions", chat({ messages, max_tokens: 4, search: "never", ...extra }), { ENGINE: createFakeEngine() });
      expect(res.status).toBe(200);
    }
  });

  it("rejects an unknown model with 404 model_not_found", async () => {
    const res = await request("/v1/chat/completions", postJson({ model: "gpt-9", messages: [{ role: "user", content: "hi" }] }));
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("model_not_found");
  });

  it("rejects a body over MAX_BODY_BYTES, declared or streamed", async () => {
    const big = JSON.stringify({ message: "x".repeat(2_000) });
    const declared = await request("/api/chat", { method: "POST", headers: { "content-type": "application/json" }, body: big }, { MAX_BODY_BYTES: "1024" });
    expect(declared.status).toBe(413);
    expect((await errorOf(declared)).code).toBe("payload_too_large");
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const streamed = await request("/api/chat", { method: "POST", headers: { "content-type": "application/json" }, body: chunks }, { MAX_BODY_BYTES: "1024" });
    expect(streamed.status).toBe(413);
  });

  it("requires a JSON content type", async () => {
    const res = await request("/api/chat", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" });
    expect(res.status).toBe(415);
    expect((await errorOf(res)).code).toBe("unsupported_media_type");
  });

  it("validates /api/chat bodies and session ids", async () => {
    const empty = await request("/api/chat", postJson({ message: "   " }));
    expect(empty.status).toBe(400);
    expect((await errorOf(empty)).message).toContain("message");
    const long = await request("/api/chat", postJson({ message: "x".repeat(50) }), { MAX_MESSAGE_CHARS: "10" });
    expect(long.status).toBe(400);
    const badMode = await request("/api/chat", postJson({ message: "hi", search: "sometimes" }));
    expect((await errorOf(badMode)).message).toContain("search");
    const badId = await request("/api/sessions/../../etc");
    expect([400, 404]).toContain(badId.status);
    const shortId = await request("/api/sessions/abc");
    expect(shortId.status).toBe(400);
    expect((await errorOf(shortId)).code).toBe("invalid_session_id");
  });

  it("answers unknown API paths in the error shape", async () => {
    const res = await request("/v1/embeddings", postJson({}));
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("not_found");
  });

  it("fails with config_invalid when the configuration is bad, naming nothing (it answers before authentication)", async () => {
    const res = await request("/v1/models", {}, { ENGINE_URL: "engine-without-scheme", ENGINE_API_KEY: "sk-engine-secret" });
    expect(res.status).toBe(500);
    const error = await errorOf(res);
    expect(error.code).toBe("config_invalid");
    expect(error.message).toContain("misconfigured");
    expect(error.message).not.toContain("ENGINE_URL");
    expect(error.message).not.toContain("engine-without-scheme");
  });
});
