/**
 * The client recipes of docs/api.md, each with the real package against the real worker
 * (`wrangler dev`): the `openai` SDK's `responses.create` (text and stream) and
 * `chat.completions.create` with Sonar's fields, the AI SDK's default `openai` provider
 * (`generateText` / `streamText`, sources coming back), `@ai-sdk/perplexity` pointed at the worker,
 * and LangChain's `ChatOpenAI`. The engine is a scripted OpenAI-compatible server: the demo model's
 * random weights never write a citation, and the clients' handling of citations is the subject here.
 */
import { createOpenAI } from "@ai-sdk/openai";
import { createPerplexity } from "@ai-sdk/perplexity";
import { ChatOpenAI } from "@langchain/openai";
import { generateText, streamText } from "ai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCRIPTED_SEARCH_QUERY, startScriptedEngine, type ScriptedEngine } from "../support/citing-engine";
import { startTestStack, type TestStack } from "../support/stack";

let engine: ScriptedEngine;
let stack: TestStack;
let corpus: string;

beforeAll(async () => {
  engine = await startScriptedEngine();
  stack = await startTestStack({ SEARCH_MODE: "auto" }, { externalEngineUrl: engine.url });
  corpus = `${stack.workerUrl}/corpus/`;
});

afterAll(async () => {
  await stack?.stop();
  await engine?.close();
});

const QUESTION = "How does the agent cite its sources?";

describe("the openai SDK", () => {
  const client = () => new OpenAI({ baseURL: `${stack.workerUrl}/v1`, apiKey: "local-dev" });

  it("responses.create: a web_search_call item, then text whose url_citation annotations cover its links", async () => {
    const response = await client().responses.create({ model: "megrez", input: QUESTION, tools: [{ type: "web_search" }] });
    expect(response.status).toBe("completed");
    expect(response.output.map((item) => item.type)).toEqual(["web_search_call", "message"]);
    const search = response.output[0];
    expect(search?.type === "web_search_call" && search.action.type === "search" && search.action.query).toBe(SCRIPTED_SEARCH_QUERY);
    const message = response.output[1];
    const part = message?.type === "message" ? message.content[0] : undefined;
    const annotations = part?.type === "output_text" ? part.annotations : [];
    expect(annotations).toHaveLength(2);
    for (const annotation of annotations) {
      if (annotation.type !== "url_citation") throw new Error(`unexpected ${annotation.type}`);
      expect(annotation.url.startsWith(corpus)).toBe(true);
      expect(response.output_text.slice(annotation.start_index, annotation.end_index)).toMatch(/^\[\d\]\(http/);
    }
  });

  it("responses.create with stream: the Responses events, ending with response.completed", async () => {
    const stream = await client().responses.create({ model: "megrez", input: QUESTION, tools: [{ type: "web_search" }], stream: true });
    const types: string[] = [];
    let text = "";
    const sources: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") text += event.delta;
      if (event.type === "response.output_text.annotation.added") sources.push((event.annotation as { url: string }).url);
    }
    expect(types.slice(0, 3)).toEqual(["response.created", "response.in_progress", "response.output_item.added"]);
    expect(types).toContain("response.web_search_call.completed");
    expect(types[types.length - 1]).toBe("response.completed");
    expect(text).toContain("The agent numbers its sources by rank [1](");
    expect(sources).toHaveLength(2);
  });

  it("chat.completions.create with Sonar fields: citations and search_results numbered like the links", async () => {
    const body = {
      model: "megrez",
      messages: [{ role: "user" as const, content: QUESTION }],
      search_domain_filter: ["-example.org"],
      search_recency_filter: "year" as const,
      return_related_questions: true,
    };
    const completion = (await client().chat.completions.create(body)) as OpenAI.ChatCompletion & {
      citations: string[];
      search_results: { title: string; url: string; date: string | null }[];
      related_questions: string[];
    };
    expect(completion.citations.length).toBeGreaterThanOrEqual(2);
    expect(completion.search_results.map((result) => result.url)).toEqual(completion.citations);
    const content = completion.choices[0]?.message.content ?? "";
    expect(content).toContain(`[1](${completion.citations[0]})`);
    expect(content).toContain(`[2](${completion.citations[1]})`);
    expect(completion.related_questions).toEqual(["How are sources numbered?", "Can the search be limited to one site?"]);
  });
});

describe("the AI SDK's default openai provider (Responses API)", () => {
  const provider = () => createOpenAI({ baseURL: `${stack.workerUrl}/v1`, apiKey: "local-dev" });

  it("generateText returns the answer and its sources", async () => {
    const openai = provider();
    const result = await generateText({ model: openai("megrez"), prompt: QUESTION, tools: { web_search: openai.tools.webSearch({}) } });
    expect(result.text).toContain("The agent numbers its sources by rank");
    const urls = result.sources.flatMap((source) => (source.sourceType === "url" ? [source.url] : []));
    expect(urls).toHaveLength(2);
    for (const url of urls) expect(url.startsWith(corpus)).toBe(true);
  });

  it("streamText streams the answer and its sources", async () => {
    const openai = provider();
    const result = streamText({ model: openai("megrez"), prompt: QUESTION, tools: { web_search: openai.tools.webSearch({}) } });
    let text = "";
    for await (const delta of result.textStream) text += delta;
    const sources = await result.sources;
    expect(text).toContain("links each citation");
    expect(sources.flatMap((source) => (source.sourceType === "url" ? [source.url] : []))).toHaveLength(2);
    expect(await result.finishReason).toBe("stop");
  });
});

describe("@ai-sdk/perplexity pointed at the worker", () => {
  it("generateText and streamText read the citations as sources", async () => {
    const perplexity = createPerplexity({ baseURL: `${stack.workerUrl}/v1`, apiKey: "local-dev" });
    const result = await generateText({ model: perplexity("megrez"), prompt: QUESTION });
    expect(result.sources.length).toBeGreaterThanOrEqual(2);
    const streamed = streamText({ model: perplexity("megrez"), prompt: QUESTION });
    for await (const _ of streamed.textStream) {
      // drain
    }
    expect((await streamed.sources).length).toBeGreaterThanOrEqual(2);
  });
});

describe("LangChain's ChatOpenAI", () => {
  it("answers over chat completions, and with the Responses API returns the citations", async () => {
    const configuration = { baseURL: `${stack.workerUrl}/v1` };
    const chat = new ChatOpenAI({ model: "megrez", apiKey: "local-dev", configuration });
    const message = await chat.invoke(QUESTION);
    expect(String(message.content)).toContain("[1](");
    const responses = new ChatOpenAI({ model: "megrez", apiKey: "local-dev", configuration, useResponsesApi: true }).bindTools([{ type: "web_search" }]);
    const answer = await responses.invoke(QUESTION);
    const blocks = Array.isArray(answer.content) ? answer.content : [];
    const annotations = blocks.flatMap((block) => ("annotations" in block && Array.isArray(block.annotations) ? block.annotations : []));
    expect(annotations.length).toBe(2);
  });
});
