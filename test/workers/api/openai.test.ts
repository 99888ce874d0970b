import { describe, expect, it } from "vitest";
import { readSSEFrames } from "../../../agent/sse-frames";
import { call, errorOf, postJson, request } from "./support/api";
import { createFakeEngine } from "./support/fake-engine";

const ask = (extra: Record<string, unknown> = {}) =>
  postJson({
    model: "megrez",
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Say hello" },
    ],
    search: "never",
    ...extra,
  });

async function frames(res: Response): Promise<string[]> {
  const out: string[] = [];
  if (!res.body) return out;
  for await (const frame of readSSEFrames(res.body)) out.push(frame.data);
  return out;
}

describe("GET /v1/models", () => {
  it("lists and retrieves the served model, 404 for others", async () => {
    expect(await (await request("/v1/models")).json()).toEqual({
      object: "list",
      data: [{ id: "megrez", object: "model", created: 0, owned_by: "megrez-edge" }],
    });
    expect(await (await request("/v1/models/megrez")).json()).toEqual({ id: "megrez", object: "model", created: 0, owned_by: "megrez-edge" });
    const other = await request("/v1/models/gpt-9");
    expect(other.status).toBe(404);
    expect((await errorOf(other)).code).toBe("model_not_found");
    expect(await (await request("/v1/models", {}, { ENGINE_MODEL: "megrez-3b-omni" })).json()).toMatchObject({ data: [{ id: "megrez-3b-omni" }] });
  });
});

describe("POST /v1/chat/completions", () => {
  it("returns an OpenAI chat.completion with the engine's text and usage", async () => {
    const engine = createFakeEngine();
    const res = await request("/v1/chat/completions", ask({ max_tokens: 40, temperature: 0 }), { ENGINE: engine });
    expect(res.status).toBe(200);
    const body: Record<string, unknown> & { choices: { message: Record<string, unknown> }[] } = await res.json();
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "megrez",
      choices: [
        {
          index: 0,
          finish_reason: "stop",
          logprobs: null,
          message: { role: "assistant", content: "Hello from the fake engine.", refusal: null, annotations: [] },
        },
      ],
      usage: { prompt_tokens: 100, completion_tokens: 7, total_tokens: 107 },
    });
    expect(String(body.id)).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    const chatCall = engine.calls.find((c) => c.path === "/v1/chat/completions");
    expect(chatCall?.body.messages?.at(-1)).toEqual({ role: "user", content: "Say hello" });
    expect(chatCall?.body.max_tokens).toBeLessThanOrEqual(40);
  });

  it("streams chunks: role first, content deltas, finish_reason, usage, [DONE]", async () => {
    const res = await request("/v1/chat/completions", ask({ stream: true, stream_options: { include_usage: true } }), { ENGINE: createFakeEngine() });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    const data = await frames(res);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks: { object: string; choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[]; usage?: unknown }[] = data
      .slice(0, -1)
      .map((d) => JSON.parse(d));
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("Hello from the fake engine.");
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 100 } });
  });

  it("masks upstream failures: 502 with a public message, no upstream body or secrets", async () => {
    const engine = createFakeEngine({ failWith: { status: 500, body: "stack trace with sk-live-SECRET and billing details" } });
    const res = await request("/v1/chat/completions", ask(), { ENGINE: engine, ENGINE_API_KEY: "sk-engine-SECRET" });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).not.toContain("SECRET");
    expect(text).not.toContain("billing");
    expect(JSON.parse(text)).toEqual({
      error: { message: "The language model is unavailable.", type: "server_error", param: null, code: "engine_unavailable" },
    });
  });

  it("streams an upstream failure as an error frame without [DONE]", async () => {
    const engine = createFakeEngine({ failWith: { status: 500, body: "upstream detail sk-live-SECRET" } });
    const res = await request("/v1/chat/completions", ask({ stream: true }), { ENGINE: engine });
    const data = await frames(res);
    expect(data).not.toContain("[DONE]");
    expect(data.join("\n")).not.toContain("SECRET");
    expect(JSON.parse(data.at(-1) ?? "{}")).toEqual({
      error: { message: "The language model is unavailable.", type: "server_error", param: null, code: "engine_unavailable" },
    });
  });

  it("passes the caller's stop strings and sampling settings to the answer, only its seed to the search decision", async () => {
    const engine = createFakeEngine();
    const res = await request("/v1/chat/completions", ask({ search: "always", stop: ["\n\n", "END"], seed: 7 }), { ENGINE: engine });
    expect(res.status).toBe(200);
    const chats = engine.calls.filter((entry) => entry.path === "/v1/chat/completions");
    expect(chats.length).toBe(2);
    expect(chats[0]?.body.stop).toEqual(["<|turn_end|>"]);
    expect(chats[1]?.body.stop).toEqual(["<|turn_end|>", "\n\n", "END"]);
    // The decision is seeded too (the caller's seed, else the agent's), so the same request repeats.
    expect(chats[0]?.body.seed).toBe(7);
    expect(chats[1]?.body.seed).toBe(7);
    const single = createFakeEngine();
    await request("/v1/chat/completions", ask({ stop: "END" }), { ENGINE: single });
    expect(single.calls.find((entry) => entry.path === "/v1/chat/completions")?.body.stop).toEqual(["<|turn_end|>", "END"]);
    const sampled = createFakeEngine();
    await request("/v1/chat/completions", ask({ temperature: 0.7, top_p: 0.8, seed: 42, presence_penalty: 0.5, frequency_penalty: -0.5 }), { ENGINE: sampled });
    expect(sampled.calls.find((entry) => entry.path === "/v1/chat/completions")?.body).toMatchObject({
      temperature: 0.7,
      top_p: 0.8,
      seed: 42,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
    });
    expect((await request("/v1/chat/completions", ask({ top_p: 0 }), { ENGINE: createFakeEngine() })).status).toBe(400);
    const tooMany = await request("/v1/chat/completions", ask({ stop: ["a", "b", "c", "d", "e"] }), { ENGINE: createFakeEngine() });
    expect(tooMany.status).toBe(400);
    expect((await errorOf(tooMany)).message).toContain("stop");
  });

  it("sends the engine API key to the engine only", async () => {
    const seen: string[] = [];
    const engine = createFakeEngine();
    const recording: Fetcher = {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => {
        const req = new Request(input, init);
        seen.push(req.headers.get("authorization") ?? "");
        return engine.fetch(req);
      },
      connect: engine.connect,
    };
    const res = await request("/v1/chat/completions", ask(), { ENGINE: recording, ENGINE_API_KEY: "sk-engine-1" });
    expect(res.status).toBe(200);
    expect(seen).toContain("Bearer sk-engine-1");
    expect(await res.text()).not.toContain("sk-engine-1");
  });

  it("aborts the engine request when the client goes away mid-stream", async () => {
    const engine = createFakeEngine({ chunkSize: 2, chunkDelayMs: 30 });
    const { response, settled } = await call("/v1/chat/completions", ask({ stream: true }), { ENGINE: engine });
    const reader = response.body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    await settled;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(engine.aborted).toBe(1);
  });

  it("sends keep-alive comments while the answer is slow to start", async () => {
    const engine = createFakeEngine({ chunkSize: 100, chunkDelayMs: 400 });
    const res = await request("/v1/chat/completions", ask({ stream: true }), { ENGINE: engine, KEEP_ALIVE_MS: "100" });
    const text = await res.text();
    expect(text).toContain(": keep-alive\n\n");
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("keeps 400s in the error shape for OpenAI SDK clients", async () => {
    const res = await request("/v1/chat/completions", postJson({ model: "megrez", messages: [] }));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).type).toBe("invalid_request_error");
  });
});
