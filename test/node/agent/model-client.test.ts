/**
 * The HTTP model client against a hand-written OpenAI-compatible fake fetch:
 * request bodies, SSE parsing across arbitrary chunk borders, completion
 * order, /tokenize with its fallback, and typed errors.
 */
import { describe, expect, it } from "vitest";
import { createHttpModelClient } from "../../../agent/model-client";
import { estimateTokens } from "../../../search/token-estimate";

interface Recorded {
  url: string;
  body: Record<string, unknown>;
  headers: Headers;
}

function fakeFetch(handler: (url: string, body: Record<string, unknown>) => Response | Promise<Response>, calls: Recorded[] = []): typeof fetch {
  return async (input, init) => {
    const url = String(input);
    const body = JSON.parse(String(init?.body ?? "{}")) as Record<string, unknown>;
    calls.push({ url, body, headers: new Headers(init?.headers) });
    return handler(url, body);
  };
}

function chunkedBody(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

const sse = (deltas: string[], finish = "stop") =>
  deltas.map((content) => `data: ${JSON.stringify({ choices: [{ delta: { content }, finish_reason: null }] })}\n\n`).join("") +
  `data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: finish }] })}\n\n` +
  `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 3 } })}\n\ndata: [DONE]\n\n`;

describe("createHttpModelClient", () => {
  it("streams chat deltas with special tokens kept, across chunk borders", async () => {
    const calls: Recorded[] = [];
    const client = createHttpModelClient({
      baseUrl: "http://127.0.0.1:9/v1/",
      model: "megrez",
      apiKey: "k",
      fetch: fakeFetch(() => new Response(chunkedBody(sse(["<|function_start|>", "{}", "<|function_end|>"], "length"), 7)), calls),
    });
    const parts = [];
    for await (const part of client.streamChat({ messages: [{ role: "observation", content: "x" }], maxTokens: 5, temperature: 0.01, stop: ["<|turn_end|>"] }))
      parts.push(part);
    expect(parts).toStrictEqual([
      { type: "text-delta", text: "<|function_start|>" },
      { type: "text-delta", text: "{}" },
      { type: "text-delta", text: "<|function_end|>" },
      { type: "finish", reason: "length", usage: { promptTokens: 11, completionTokens: 3 } },
    ]);
    expect(calls[0]?.url).toBe("http://127.0.0.1:9/v1/chat/completions");
    expect(calls[0]?.headers.get("authorization")).toBe("Bearer k");
    expect(calls[0]?.body).toMatchObject({
      model: "megrez",
      stream: true,
      max_tokens: 5,
      skip_special_tokens: false,
      stop: ["<|turn_end|>"],
      messages: [{ role: "observation", content: "x" }],
    });
  });

  it("returns batched completions in prompt order", async () => {
    const client = createHttpModelClient({
      baseUrl: "http://127.0.0.1:9/v1",
      model: "megrez",
      fetch: fakeFetch(() =>
        Response.json({
          choices: [
            { index: 1, text: "b" },
            { index: 0, text: "a" },
          ],
        }),
      ),
    });
    expect(await client.complete({ prompts: ["p0", "p1"], maxTokens: 4, temperature: 0 })).toStrictEqual(["a", "b"]);
  });

  it("counts with /tokenize and falls back to the estimate when the server has none", async () => {
    const calls: Recorded[] = [];
    const withTokenizer = createHttpModelClient({
      baseUrl: "http://127.0.0.1:9/v1",
      model: "m",
      fetch: fakeFetch(() => Response.json({ count: 42, tokens: [], max_model_len: 4096 }), calls),
    });
    expect(await withTokenizer.countTokens("hello")).toBe(42);
    expect(calls[0]?.url).toBe("http://127.0.0.1:9/tokenize");
    expect(calls[0]?.body).toMatchObject({ prompt: "hello" });
    const plain = createHttpModelClient({ baseUrl: "https://api.example/v1", model: "m", fetch: fakeFetch(() => new Response("not found", { status: 404 })) });
    expect(await plain.countTokens("hello 世界")).toBe(estimateTokens("hello 世界"));
  });

  it("stops asking /tokenize for a while after a transport failure, estimating meanwhile", async () => {
    let attempts = 0;
    const down = createHttpModelClient({
      baseUrl: "http://127.0.0.1:9/v1",
      model: "m",
      fetch: async () => {
        attempts += 1;
        throw new TypeError("fetch failed");
      },
    });
    for (const text of ["one", "two", "three"]) expect(await down.countTokens(text)).toBe(estimateTokens(text));
    expect(attempts).toBe(1);
  });

  it("throws typed, public-safe errors", async () => {
    const down = createHttpModelClient({
      baseUrl: "http://127.0.0.1:9/v1",
      model: "m",
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    await expect(down.complete({ prompts: ["x"], maxTokens: 1, temperature: 0 })).rejects.toMatchObject({ code: "model-unavailable", retryable: true });
    const bad = createHttpModelClient({ baseUrl: "http://127.0.0.1:9/v1", model: "m", fetch: fakeFetch(() => new Response("data: {oops\n\n")) });
    const stream = bad.streamChat({ messages: [], maxTokens: 1, temperature: 0 })[Symbol.asyncIterator]();
    await expect(stream.next()).rejects.toMatchObject({ code: "model-bad-response" });
    const limited = createHttpModelClient({
      baseUrl: "http://127.0.0.1:9/v1",
      model: "m",
      fetch: fakeFetch(() => new Response("{}", { status: 429, headers: { "retry-after": "7" } })),
    });
    await expect(limited.complete({ prompts: ["x"], maxTokens: 1, temperature: 0 })).rejects.toMatchObject({
      code: "model-busy",
      retryable: true,
      retryAfterSeconds: 7,
    });
  });

  it("takes only a stream that says it is complete as complete", async () => {
    const cut = sse(["Hello ", "wor"]).split("data: ").slice(0, 3).join("data: ");
    const readAll = async (body: string) => {
      const client = createHttpModelClient({ baseUrl: "http://127.0.0.1:9/v1", model: "m", fetch: fakeFetch(() => new Response(chunkedBody(body, 5))) });
      const parts = [];
      for await (const part of client.streamChat({ messages: [], maxTokens: 5, temperature: 0 })) parts.push(part);
      return parts;
    };
    // Cut before finish_reason and [DONE]: the text so far is not an answer.
    await expect(readAll(cut)).rejects.toMatchObject({ code: "model-interrupted", retryable: true });
    // A 200 whose body is not an event stream (a proxy's page, a JSON error) is not an empty answer.
    await expect(readAll("<html>Bad gateway</html>")).rejects.toMatchObject({ code: "model-bad-response" });
    // An error frame mid-stream is the server's failure, even when [DONE] follows it.
    const failed = `${cut}data: {"error":{"message":"deadline","type":"timeout_error","code":"request_timeout"}}\n\ndata: [DONE]\n\n`;
    await expect(readAll(failed)).rejects.toMatchObject({ code: "model-timeout" });
    // finish_reason without [DONE], or [DONE] alone, is a complete stream.
    const finished = sse(["Hi"]).replace("data: [DONE]\n\n", "");
    expect((await readAll(finished)).at(-1)).toMatchObject({ type: "finish", reason: "stop" });
  });

  it("maps the engine's refusals by their reason: context, busy with Retry-After, deadline, other 400s", async () => {
    const answering = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      createHttpModelClient({ baseUrl: "http://127.0.0.1:9/v1", model: "m", fetch: fakeFetch(() => Response.json(body, { status, headers })) });
    const ask = (client: ReturnType<typeof createHttpModelClient>) =>
      client
        .streamChat({ messages: [{ role: "user", content: "x" }], maxTokens: 5, temperature: 0 })
        [Symbol.asyncIterator]()
        .next();
    const tooLong = {
      error: { message: "This model's maximum context length is 4096 tokens, and the messages use 9000.", code: "context_length_exceeded", param: "messages" },
    };
    await expect(ask(answering(400, tooLong))).rejects.toMatchObject({
      code: "context-too-long",
      param: "messages",
      publicMessage: expect.stringContaining("4096"),
    });
    await expect(ask(answering(503, {}, { "retry-after": "3" }))).rejects.toMatchObject({ code: "model-busy", retryAfterSeconds: 3 });
    await expect(ask(answering(408, {}))).rejects.toMatchObject({ code: "model-timeout" });
    await expect(ask(answering(400, { error: { message: "seed must be an integer", param: "seed" } }))).rejects.toMatchObject({
      code: "model-rejected",
      param: "seed",
    });
    await expect(ask(answering(404, {}))).rejects.toMatchObject({ code: "model-unavailable", retryable: false });
  });
});
