/**
 * The client recipes of docs/api.md, run with the real packages against the
 * real worker under `wrangler dev`: the official `openai` SDK, Vercel's AI SDK
 * (`@ai-sdk/openai`'s chat model and `@ai-sdk/openai-compatible`), LangChain's
 * `ChatOpenAI` and LlamaIndex's `OpenAI` LLM, each reading the answer and its
 * citations, streaming and not. The worker searches the local corpus and reads
 * its pages for real; only the model is a scripted engine, since the demo
 * model's random words never cite (test/support/scripted-engine.ts).
 */
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible, type MetadataExtractor } from "@ai-sdk/openai-compatible";
import { ChatOpenAI } from "@langchain/openai";
import { OpenAI as LlamaOpenAI } from "@llamaindex/openai";
import { generateText, streamText } from "ai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScriptedEngine, type ScriptedEngine } from "../support/scripted-engine";
import { startTestStack, type TestStack } from "../support/stack";

let engine: ScriptedEngine;
let stack: TestStack;
let baseURL: string;

beforeAll(async () => {
  engine = await startScriptedEngine();
  stack = await startTestStack({ SEARCH_MODE: "always" }, { externalEngineUrl: engine.url });
  baseURL = `${stack.workerUrl}/v1`;
});

afterAll(async () => {
  await stack?.stop();
  await engine?.close();
});

const question = "How does the agent cite its sources?";
const apiKey = "local-dev";

interface UrlCitation {
  type: "url_citation";
  url_citation: { url: string; title: string; start_index: number; end_index: number };
}

/** What every recipe must get: the answer with its links, and two cited corpus pages. */
function expectCited(text: string, urls: string[]) {
  expect(text).toMatch(/^The agent cites its sources \[1\]\(http:\/\/[^)]+\/corpus\/[^)]+\) and \[2\]\([^)]+\)\.$/);
  expect(urls).toHaveLength(2);
  for (const url of urls) expect(url).toContain("/corpus/");
}

describe("the official openai SDK", () => {
  it("reads citations from message.annotations, and from delta.annotations when streaming", async () => {
    const client = new OpenAI({ baseURL, apiKey });
    const completion = await client.chat.completions.create({ model: "megrez", messages: [{ role: "user", content: question }] });
    const message = completion.choices[0]!.message;
    expectCited(
      message.content ?? "",
      (message.annotations ?? []).map((a) => a.url_citation.url),
    );

    const stream = await client.chat.completions.create({ model: "megrez", messages: [{ role: "user", content: question }], stream: true });
    let text = "";
    const urls: string[] = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string | null; annotations?: UrlCitation[] } | undefined;
      text += delta?.content ?? "";
      urls.push(...(delta?.annotations ?? []).map((a) => a.url_citation.url));
    }
    expectCited(text, urls);
  });
});

describe("Vercel AI SDK", () => {
  it("@ai-sdk/openai's chat model turns the annotations into sources", async () => {
    const provider = createOpenAI({ baseURL, apiKey });
    const result = await generateText({ model: provider.chat("megrez"), prompt: question });
    const urls = result.sources.flatMap((source) => (source.sourceType === "url" ? [source.url] : []));
    expectCited(result.text, urls);

    const streamed = streamText({ model: provider.chat("megrez"), prompt: question });
    const streamedUrls = (await streamed.sources).flatMap((source) => (source.sourceType === "url" ? [source.url] : []));
    expectCited(await streamed.text, streamedUrls);
  });

  it("@ai-sdk/openai-compatible drops annotations: a metadata extractor keeps them", async () => {
    const citations: MetadataExtractor = {
      extractMetadata: async ({ parsedBody }) => {
        const body = parsedBody as { choices?: { message?: { annotations?: UrlCitation[] } }[] };
        return { megrez: { citations: (body.choices?.[0]?.message?.annotations ?? []).map((a) => a.url_citation) } };
      },
      createStreamExtractor: () => {
        const found: UrlCitation["url_citation"][] = [];
        return {
          processChunk: (chunk) => {
            const delta = (chunk as { choices?: { delta?: { annotations?: UrlCitation[] } }[] }).choices?.[0]?.delta;
            found.push(...(delta?.annotations ?? []).map((a) => a.url_citation));
          },
          buildMetadata: () => ({ megrez: { citations: found } }),
        };
      },
    };
    const provider = createOpenAICompatible({ name: "megrez", baseURL, apiKey, metadataExtractor: citations });
    const urlsOf = (metadata: unknown) => ((metadata as { megrez?: { citations?: { url: string }[] } })?.megrez?.citations ?? []).map((c) => c.url);
    const result = await generateText({ model: provider.chatModel("megrez"), prompt: question });
    expectCited(result.text, urlsOf(result.providerMetadata));

    const streamed = streamText({ model: provider.chatModel("megrez"), prompt: question });
    expectCited(await streamed.text, urlsOf(await streamed.providerMetadata));
  });
});

describe("LangChain ChatOpenAI", () => {
  it("keeps the raw response (and with it the annotations) with __includeRawResponse", async () => {
    const model = new ChatOpenAI({ model: "megrez", apiKey, configuration: { baseURL }, __includeRawResponse: true });
    const message = await model.invoke(question);
    const raw = message.additional_kwargs.__raw_response as { choices: { message: { annotations?: UrlCitation[] } }[] };
    expectCited(
      String(message.content),
      (raw.choices[0]?.message.annotations ?? []).map((a) => a.url_citation.url),
    );

    let text = "";
    const urls: string[] = [];
    for await (const chunk of await model.stream(question)) {
      text += String(chunk.content);
      const rawChunk = chunk.additional_kwargs.__raw_response as { choices?: { delta?: { annotations?: UrlCitation[] } }[] } | undefined;
      urls.push(...(rawChunk?.choices?.[0]?.delta?.annotations ?? []).map((a) => a.url_citation.url));
    }
    expectCited(text, urls);
  });
});

describe("LlamaIndex OpenAI LLM", () => {
  it("reads the annotations from the raw response", async () => {
    const llm = new LlamaOpenAI({ model: "megrez", apiKey, baseURL });
    const response = await llm.chat({ messages: [{ role: "user", content: question }] });
    const raw = response.raw as { choices: { message: { annotations?: UrlCitation[] } }[] };
    expectCited(
      String(response.message.content),
      (raw.choices[0]?.message.annotations ?? []).map((a) => a.url_citation.url),
    );

    let text = "";
    const urls: string[] = [];
    for await (const chunk of await llm.chat({ messages: [{ role: "user", content: question }], stream: true })) {
      text += chunk.delta;
      const rawChunk = chunk.raw as { choices?: { delta?: { annotations?: UrlCitation[] } }[] } | null;
      urls.push(...(rawChunk?.choices?.[0]?.delta?.annotations ?? []).map((a) => a.url_citation.url));
    }
    expectCited(text, urls);
  });
});
