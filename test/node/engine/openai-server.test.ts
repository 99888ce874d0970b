/**
 * The HTTP API against the official `openai` npm client and raw fetch: chat (stream and not,
 * with usage), batched completions in prompt order, models, health, metrics, tokenize /
 * detokenize, OpenAI-shaped errors, 429 with Retry-After, and disconnect cancellation.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Engine } from "../../../container/engine/create-engine";
import { makeTestModel, testEngine } from "./support/test-engine";
import { startTestServer, type TestServer } from "./support/test-server";

const model = makeTestModel(17);
let engine: Engine;
let server: TestServer;
let client: OpenAI;
beforeAll(async () => {
  engine = await testEngine(model, { maxBatch: 2, maxQueue: 2 });
  server = await startTestServer(engine);
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "EMPTY", maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
  await engine.release();
  model.cleanup();
});

const post = (path: string, body: unknown): Promise<Response> =>
  fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const messages = [{ role: "user" as const, content: "介绍一下无问芯穹" }];

describe("OpenAI-compatible API", () => {
  it("answers a non-streaming chat completion through the openai client", async () => {
    const completion = await client.chat.completions.create({ model: "megrez", messages, max_tokens: 8, temperature: 0 });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("megrez");
    expect(completion.choices[0]?.message.role).toBe("assistant");
    expect(completion.choices[0]?.finish_reason).toMatch(/^(stop|length)$/);
    const promptTokens = engine.codec.encodeChat(messages, true).length;
    expect(completion.usage?.prompt_tokens).toBe(promptTokens);
    expect(completion.usage?.total_tokens).toBe(promptTokens + (completion.usage?.completion_tokens ?? 0));
  });

  it("streams the same text as the non-streaming call, with usage when asked", async () => {
    const plain = await client.chat.completions.create({ model: "megrez", messages, max_tokens: 10, temperature: 0 });
    const stream = await client.chat.completions.create({
      model: "megrez",
      messages,
      max_tokens: 10,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(plain.choices[0]?.message.content);
    expect(finish).toBe(plain.choices[0]?.finish_reason);
    expect(usage?.completion_tokens).toBe(plain.usage?.completion_tokens);
  });

  it("ends the raw SSE stream with data: [DONE]", async () => {
    const response = await post("/v1/chat/completions", { messages, max_tokens: 2, stream: true });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const body = await response.text();
    const frames = body.split("\n\n").filter(Boolean);
    expect(frames.every((frame) => frame.startsWith("data: "))).toBe(true);
    expect(frames.at(-1)).toBe("data: [DONE]");
  });

  it("accepts the observation role and vLLM extras (skip_special_tokens, top_k, repetition_penalty, seed)", async () => {
    const response = await post("/v1/chat/completions", {
      model: "megrez",
      messages: [...messages, { role: "assistant", content: "<|function_start|>{}<|function_end|>" }, { role: "observation", content: "obs" }],
      max_tokens: 4,
      skip_special_tokens: false,
      top_k: 5,
      repetition_penalty: 1.05,
      seed: 3,
      stop: ["<|turn_end|>"],
    });
    expect(response.status).toBe(200);
  });

  it("returns one completion choice per prompt, in prompt order", async () => {
    const prompts = ["first prompt", "第二个", "third one is longer than the others"];
    const batched = await client.completions.create({ model: "megrez", prompt: prompts, max_tokens: 6, temperature: 0 });
    expect(batched.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
    for (const [index, prompt] of prompts.entries()) {
      const alone = await client.completions.create({ model: "megrez", prompt, max_tokens: 6, temperature: 0 });
      expect(batched.choices[index]?.text).toBe(alone.choices[0]?.text);
    }
  });

  it("streams batched completions with each chunk tagged by its prompt index", async () => {
    const prompts = ["alpha", "贝塔 beta"];
    const plain = await client.completions.create({ model: "megrez", prompt: prompts, max_tokens: 6, temperature: 0 });
    const stream = await client.completions.create({ model: "megrez", prompt: prompts, max_tokens: 6, temperature: 0, stream: true });
    const texts = ["", ""];
    for await (const chunk of stream) for (const choice of chunk.choices) texts[choice.index] += choice.text;
    expect(texts).toEqual(plain.choices.map((choice) => choice.text));
  });

  it("lists the served model and reports health and Prometheus metrics", async () => {
    const models = await client.models.list();
    expect(models.data.map((entry) => entry.id)).toEqual(["megrez"]);
    expect((await client.models.retrieve("megrez")).id).toBe("megrez");
    await expect(client.models.retrieve("other")).rejects.toMatchObject({ status: 404 });
    const health = await (await fetch(`${server.url}/health`)).json();
    expect(health).toMatchObject({ ok: true, model: "megrez", ep: "cpu" });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    for (const name of ["engine_queue_depth", "engine_batch_size", "engine_tokens_per_second", "engine_time_to_first_token_seconds_count"])
      expect(metrics).toContain(name);
  });

  it("counts tokens with /tokenize like the chat endpoint and round-trips /detokenize", async () => {
    const byMessages = await (await post("/tokenize", { model: "megrez", messages, add_generation_prompt: true })).json();
    expect(byMessages.tokens).toEqual(engine.codec.encodeChat(messages, true));
    expect(byMessages.count).toBe(byMessages.tokens.length);
    expect(byMessages.max_model_len).toBe(4096);
    const byPrompt = await (await post("/tokenize", { prompt: "hello 世界" })).json();
    const detokenized = await (await post("/detokenize", { tokens: byPrompt.tokens })).json();
    expect(detokenized.prompt).toBe("hello 世界");
  });

  it("answers malformed bodies with 400 in the OpenAI error shape", async () => {
    const cases: [unknown, string | null][] = [
      ["{not json", null],
      [{ messages: [] }, "messages"],
      [{ messages: [{ role: "user" }] }, "messages.0.content"],
      [{ messages, temperature: 5 }, "temperature"],
      [{ messages, n: 2 }, "n"],
      [{ messages, logprobs: true }, "logprobs"],
      [{ messages, tools: [{ type: "function", function: { name: "f" } }] }, "tools"],
      [{ messages, tool_choice: "required" }, "tool_choice"],
      [{ messages, response_format: { type: "json_object" } }, "response_format.type"],
    ];
    for (const [body, param] of cases) {
      const response = await post("/v1/chat/completions", body);
      expect(response.status).toBe(400);
      const json = await response.json();
      expect(json.error).toMatchObject({ type: "invalid_request_error", code: "invalid_request", param });
      expect(typeof json.error.message).toBe("string");
    }
    const noOps = await post("/v1/chat/completions", {
      messages,
      max_tokens: 2,
      tools: [],
      tool_choice: "none",
      response_format: { type: "text" },
      logprobs: false,
    });
    expect(noOps.status).toBe(200);
    await expect(client.chat.completions.create({ model: "gpt-4", messages })).rejects.toMatchObject({ status: 404 });
    const tooLarge = await post("/v1/chat/completions", { messages: [{ role: "user", content: "x".repeat(33 * 2 ** 20) }] });
    expect(tooLarge.status).toBe(413);
    expect((await tooLarge.json()).error.code).toBe("request_too_large");
    const outOfVocabulary = await post("/v1/completions", { prompt: [1, 2, 999_999] });
    expect(outOfVocabulary.status).toBe(400);
    expect((await outOfVocabulary.json()).error.param).toBe("prompt");
  });

  it("refuses with 429 and Retry-After when the queue is full, and a disconnect frees the slot", async () => {
    const aborts = Array.from({ length: 4 }, () => new AbortController());
    const long = { messages, max_tokens: 3000, stream: true, temperature: 0 };
    const started = await Promise.all(
      aborts.map((abort) =>
        fetch(`${server.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(long),
          signal: abort.signal,
        }),
      ),
    );
    expect(started.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    const refused = await post("/v1/chat/completions", { messages, max_tokens: 2 });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await refused.json()).error.code).toBe("queue_full");
    for (const abort of aborts) abort.abort();
    await vi.waitFor(() => expect(engine.scheduler.batchSize + engine.scheduler.queueDepth).toBe(0), { timeout: 3000, interval: 20 });
    const after = await client.chat.completions.create({ model: "megrez", messages, max_tokens: 2 });
    expect(after.choices).toHaveLength(1);
  });
});
