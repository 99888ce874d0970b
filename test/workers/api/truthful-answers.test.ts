/**
 * Issue "the chat API tells the truth", one describe per numbered case, through
 * the real worker inside workerd with a scripted engine (the end-to-end half,
 * with the real engine process, is test/e2e/truthful-answers.test.ts). Each
 * case was reproduced on the code before the fix and fails there.
 */
import { describe, expect, it } from "vitest";
import { parseSSEEvents } from "../../../agent/event-stream";
import type { ChatEvent } from "../../../agent/events";
import { readSSEFrames } from "../../../agent/sse-frames";
import { call, errorOf, postJson, request } from "./support/api";
import { createFakeEngine, type FakeEngineMessage, type FakeEngineScript, textOf } from "./support/fake-engine";

const ask = (content: unknown, extra: Record<string, unknown> = {}) =>
  postJson({ model: "megrez", messages: [{ role: "user", content }], search: "never", ...extra });

async function dataFrames(res: Response): Promise<string[]> {
  const out: string[] = [];
  for await (const frame of readSSEFrames(res.body!)) out.push(frame.data);
  return out;
}

/** What a streaming OpenAI client sees: the finish reasons, whether [DONE] came, and the error frame if any. */
async function streamOutcome(res: Response) {
  const data = await dataFrames(res);
  const chunks = data.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d) as Record<string, unknown>);
  const finishReasons = chunks
    .flatMap((c) => ((c.choices as { finish_reason: string | null }[] | undefined) ?? []).map((x) => x.finish_reason))
    .filter(Boolean);
  const error = chunks.find((c) => "error" in c)?.error as { code: string; type: string; message: string; param: string | null } | undefined;
  return { done: data.includes("[DONE]"), finishReasons, error, last: chunks.at(-1) };
}

async function chatEvents(res: Response): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of parseSSEEvents(res.body!)) out.push(e.event);
  return out;
}

const slowReply = "The worker cites its sources and streams them slowly to the client.";

describe("1. an engine that dies mid-answer is a failure, not a finished answer", () => {
  for (const how of ["close", "error"] as const) {
    it(`/v1 stream (connection ${how === "close" ? "closed cleanly" : "broken"}): an error frame, no finish_reason stop, no [DONE]`, async () => {
      const res = await request("/v1/chat/completions", ask("Say hello", { stream: true }), { ENGINE: createFakeEngine({ cut: { afterChunks: 3, how } }) });
      const outcome = await streamOutcome(res);
      expect(outcome.done).toBe(false);
      expect(outcome.finishReasons).toEqual([]);
      expect(outcome.error).toMatchObject({ code: "engine_unavailable", type: "server_error" });
      expect(outcome.last).toHaveProperty("error");
    });
  }

  it("/v1 not streaming: 502, not 200 with the cut text", async () => {
    const res = await request("/v1/chat/completions", ask("Say hello"), { ENGINE: createFakeEngine({ cut: { afterChunks: 3, how: "close" } }) });
    expect(res.status).toBe(502);
    expect(await errorOf(res)).toMatchObject({ code: "engine_unavailable", param: null });
  });

  it("an answer past the model deadline: 504 / an engine_timeout frame, even after text went out", async () => {
    const vars = { AGENT_CONFIG: JSON.stringify({ deadlines: { modelMs: 300 } }), KEEP_ALIVE_MS: "0" };
    const slow: FakeEngineScript = { reply: () => slowReply, chunkSize: 4, chunkDelayMs: 60 };
    const plain = await request("/v1/chat/completions", ask("Say hello"), { ENGINE: createFakeEngine(slow), ...vars });
    expect(plain.status).toBe(504);
    expect((await errorOf(plain)).code).toBe("engine_timeout");
    const streamed = await streamOutcome(
      await request("/v1/chat/completions", ask("Say hello", { stream: true }), { ENGINE: createFakeEngine(slow), ...vars }),
    );
    expect(streamed).toMatchObject({ done: false, finishReasons: [], error: { code: "engine_timeout" } });
  });

  it("a 200 from the engine whose body is not an event stream is not an empty answer", async () => {
    const engine = createFakeEngine({
      failWith: { status: 200, body: "<html><body>Welcome to the proxy</body></html>", headers: { "content-type": "text/html" } },
    });
    const res = await request("/v1/chat/completions", ask("Say hello"), { ENGINE: engine });
    expect(res.status).toBe(502);
  });

  it("/api/chat: the cut answer ends with an error event and finish(error)", async () => {
    const res = await request("/api/chat", postJson({ message: "Say hello", search: "never" }), {
      ENGINE: createFakeEngine({ cut: { afterChunks: 3, how: "close" } }),
    });
    const events = await chatEvents(res);
    expect(events.filter((e) => e.type === "error")).toMatchObject([{ code: "model-interrupted" }]);
    expect(events.at(-1)).toMatchObject({ type: "finish", reason: "error" });
  });
});

describe("2. failures come back with the status their reason calls for", () => {
  const tinyPng = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAcCBlCwAAAABJRU5ErkJggg==";
  const withImage = (text: string) => [
    { type: "text", text },
    { type: "image_url", image_url: { url: `data:image/png;base64,${tinyPng}` } },
  ];

  it("a corrupt image: 400 media_rejected with the engine's reason", async () => {
    const engine = createFakeEngine({
      failWith: {
        status: 400,
        body: JSON.stringify({ error: { message: "The image could not be decoded.", type: "invalid_request_error", code: "invalid_request" } }),
      },
    });
    const res = await request("/v1/chat/completions", ask(withImage("What is this?")), { ENGINE: engine, ATTACHMENTS: "image" });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({
      code: "media_rejected",
      type: "invalid_request_error",
      param: "messages",
      message: expect.stringContaining("could not be decoded"),
    });
  });

  it("a 155 000-character prompt: 400 context_length_exceeded naming messages, before the engine is called", async () => {
    const engine = createFakeEngine();
    const res = await request("/v1/chat/completions", ask("word ".repeat(31_000)), { ENGINE: engine, MAX_BODY_BYTES: "1000000" });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: "context_length_exceeded", param: "messages", message: expect.stringContaining("4096") });
    expect(engine.calls.filter((c) => c.path === "/v1/chat/completions")).toHaveLength(0);
  });

  it("the engine's own context_length_exceeded: 400 too, not a canned answer", async () => {
    const engine = createFakeEngine({
      failWith: {
        status: 400,
        body: JSON.stringify({ error: { message: "This model's maximum context length is 2048 tokens.", code: "context_length_exceeded", param: "messages" } }),
      },
    });
    const res = await request("/v1/chat/completions", ask("Please search: how does the edge API cite sources?", { search: "always" }), { ENGINE: engine });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("context_length_exceeded");
  });

  it("a saturated engine (429): 503 with Retry-After, streaming or not, never the fallback text as a completion", async () => {
    const busy = () => createFakeEngine({ failWith: { status: 429, body: "queue full", headers: { "retry-after": "5" } } });
    const question = "Please search: how does the edge API cite sources?";
    const res = await request("/v1/chat/completions", ask(question, { search: "always" }), { ENGINE: busy() });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await errorOf(res)).toMatchObject({ code: "engine_overloaded" });
    const streamed = await streamOutcome(await request("/v1/chat/completions", ask(question, { search: "always", stream: true }), { ENGINE: busy() }));
    expect(streamed).toMatchObject({ done: false, finishReasons: [], error: { code: "engine_overloaded" } });
  });

  it("an empty last user message is the client's 400, naming the field", async () => {
    for (const content of ["", "   ", null, []]) {
      const res = await request("/v1/chat/completions", ask(content), { ENGINE: createFakeEngine() });
      expect(res.status, JSON.stringify(content)).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: "invalid_body", param: "messages.0.content" });
    }
  });

  it("a 200 000-character message is a 400 that says the context is too small, not a 502", async () => {
    const res = await request("/v1/chat/completions", ask("x".repeat(200_000)), { ENGINE: createFakeEngine(), ATTACHMENTS: "image,audio" });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("context_length_exceeded");
  });
});

describe("3. a non-streaming client that disconnects stops the work", () => {
  it("aborts the engine request and the agent", async () => {
    const engine = createFakeEngine({ reply: () => slowReply, chunkSize: 2, chunkDelayMs: 40 });
    const client = new AbortController();
    const pending = call("/v1/chat/completions", { ...ask("Say hello"), signal: client.signal }, { ENGINE: engine });
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.abort();
    const { settled } = await pending;
    await settled;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(engine.aborted).toBe(1);
  });
});

describe("4. limits are honoured or refused, and usage counts the answer", () => {
  const answerCall = (engine: ReturnType<typeof createFakeEngine>) => engine.calls.filter((c) => c.path === "/v1/chat/completions").at(-1);

  it("max_tokens below 16 and above 512 reach the engine exactly", async () => {
    for (const max of [8, 2000]) {
      const engine = createFakeEngine();
      const res = await request("/v1/chat/completions", ask("Say hello", { max_tokens: max }), { ENGINE: engine });
      expect(res.status).toBe(200);
      expect(answerCall(engine)?.body.max_tokens).toBe(max);
    }
    const engine = createFakeEngine();
    await request("/v1/chat/completions", ask("Say hello", { max_completion_tokens: 9 }), { ENGINE: engine });
    expect(answerCall(engine)?.body.max_tokens).toBe(9);
  });

  it("a max_tokens the context cannot hold is a 400 naming max_tokens", async () => {
    const res = await request("/v1/chat/completions", ask("Say hello", { max_tokens: 5000 }), { ENGINE: createFakeEngine() });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: "context_length_exceeded", param: "max_tokens", message: expect.stringContaining("max_tokens 5000") });
  });

  it("usage is the answer's call; turn_usage adds the search decision and the summaries", async () => {
    const res = await request("/v1/chat/completions", ask("Please search: how does the edge API cite sources?", { search: "always", max_tokens: 40 }), {
      ENGINE: createFakeEngine(),
    });
    const body: {
      usage: { prompt_tokens: number; completion_tokens: number };
      turn_usage: { prompt_tokens: number; completion_tokens: number; model_calls: number };
    } = await res.json();
    // The fake engine reports 100 prompt tokens for every chat call and ceil(chars / 4) generated.
    const answerTokens = Math.ceil("The worker cites its sources [citation:1] and [citation:2].".length / 4);
    expect(body.usage).toEqual({ prompt_tokens: 100, completion_tokens: answerTokens, total_tokens: 100 + answerTokens });
    expect(body.turn_usage.model_calls).toBeGreaterThanOrEqual(3);
    expect(body.turn_usage.prompt_tokens).toBeGreaterThan(body.usage.prompt_tokens);
    expect(body.turn_usage.completion_tokens).toBeGreaterThan(body.usage.completion_tokens);
  });
});

describe("5. the same request at temperature 0 sends the same prompts", () => {
  it("two requests a few seconds apart give the engine identical prompts, and the agent's own calls are seeded", async () => {
    // Chat calls in their order; page-summary prompts as a sorted list, since how the pages
    // group into batched /v1/completions calls depends on when each page arrives.
    const prompts: { chats: string[]; summaries: string[] }[] = [];
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const engine = createFakeEngine();
      await request("/v1/chat/completions", ask("Please search: how does the edge API cite sources?", { search: "always", temperature: 0 }), {
        ENGINE: engine,
      });
      const chats = engine.calls.filter((c) => c.body.messages).map((c) => JSON.stringify(c.body.messages?.map((m: FakeEngineMessage) => textOf(m))));
      const summaries = engine.calls.filter((c) => !c.body.messages).flatMap((c) => [c.body.prompt].flat().map((p) => JSON.stringify(p)));
      expect(summaries.length).toBeGreaterThan(0);
      prompts.push({ chats, summaries: summaries.sort() });
      for (const c of engine.calls) expect(c.body.seed, c.path).toBeTypeOf(c === engine.calls.at(-1) ? "undefined" : "number");
      if (attempt === 0) await new Promise((resolve) => setTimeout(resolve, 1_100));
    }
    expect(prompts[1]).toEqual(prompts[0]);
  });
});

describe("6. browsers: CORS preflights with the official SDK's headers", () => {
  it("allows the x-stainless-* headers from an allowed origin", async () => {
    const res = await request(
      "/v1/chat/completions",
      {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example",
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,content-type,x-stainless-os,x-stainless-lang,x-stainless-retry-count,x-stainless-timeout",
        },
      },
      { CORS_ORIGINS: "https://app.example" },
    );
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(",");
    for (const header of ["x-stainless-os", "x-stainless-lang", "x-stainless-retry-count", "x-stainless-timeout", "authorization", "content-type"]) {
      expect(allowed).toContain(header);
    }
  });
});

describe("7. errors: param, 405 with Allow, JSON on every path", () => {
  it("names the field at fault in param", async () => {
    const bad = await request("/v1/chat/completions", postJson({ model: "megrez", messages: [{ role: "user", content: "hi" }], temperature: 5 }));
    expect(await errorOf(bad)).toMatchObject({ code: "invalid_body", param: "temperature" });
    const model = await request("/v1/chat/completions", postJson({ model: "gpt-9", messages: [{ role: "user", content: "hi" }] }));
    expect(await errorOf(model)).toMatchObject({ code: "model_not_found", param: "model" });
  });

  it("answers a method a route does not take with 405 and Allow", async () => {
    const cases: [string, string, string][] = [
      ["GET", "/v1/chat/completions", "POST"],
      ["POST", "/v1/models", "GET, HEAD"],
      ["GET", "/api/chat", "POST"],
      ["POST", "/health", "GET, HEAD"],
      ["PUT", "/api/jobs", "GET, HEAD, POST"],
      ["POST", "/widget.js", "GET, HEAD"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await request(path, { method, headers: { authorization: "Bearer x" } });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get("allow")).toBe(allow);
      expect(await errorOf(res)).toMatchObject({ code: "method_not_allowed", type: "invalid_request_error", param: null });
    }
  });

  it("answers unknown paths outside the API in the JSON error shape", async () => {
    for (const path of ["/widget/unknown", "/foo", "/v1/nothing"]) {
      const res = await request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(await errorOf(res)).toEqual({ message: expect.any(String), type: "not_found_error", param: null, code: "not_found" });
    }
  });

  it("says only 'misconfigured' to an unauthenticated caller when the configuration is bad", async () => {
    const res = await request("/v1/models", {}, { API_KEYS: "k", WIDGET_SITE_KEYS: "{not json", ENGINE_URL: "no-scheme" });
    expect(res.status).toBe(500);
    const error = await errorOf(res);
    expect(error.code).toBe("config_invalid");
    expect(error.message).not.toMatch(/WIDGET_SITE_KEYS|ENGINE_URL|no-scheme/);
  });
});
