/**
 * Simulated backends on loopback for the agent benchmark: a search service,
 * a page server with fixed per-page latencies (one page never answers), and
 * an OpenAI-compatible model with a fixed time to first token and per-token
 * delay. The model runs one generation at a time, like a single engine, so
 * overlapping calls queue instead of looking free.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { estimateTokens } from "../../search/token-estimate";

export interface Latencies {
  searchMs: number;
  /** Per page, in search-rank order; "never" keeps the socket open without answering. */
  pageMs: (number | "never")[];
  ttftMs: number;
  perTokenMs: number;
  /** Tokens of one page summary and of the answer. */
  summaryTokens: number;
  answerTokens: number;
}

export interface Backends {
  searchUrl: string;
  modelBaseUrl: string;
  pageUrl: (index: number) => string;
  close: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of request) text += String(chunk);
  return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
}

async function listen(handler: (request: IncomingMessage, response: ServerResponse) => Promise<void>): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    handler(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** One generation at a time. */
class EngineQueue {
  private tail: Promise<void> = Promise.resolve();
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export async function startBackends(latencies: Latencies): Promise<Backends> {
  const pages = await listen(async (request, response) => {
    const index = Number(/\/page\/(\d+)/.exec(request.url ?? "")?.[1] ?? "0");
    const delay = latencies.pageMs[index - 1] ?? 0;
    if (delay === "never") return; // holds the connection until the client gives up
    await sleep(delay);
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(pageHtml(index));
  });
  const search = await listen(async (request, response) => {
    const body = await readBody(request);
    await sleep(latencies.searchMs);
    const organic = latencies.pageMs.map((_, position) => ({
      position: position + 1,
      link: `${pages.origin}/page/${position + 1}`,
      title: `Tidal physics, part ${position + 1}`,
      snippet: `Snippet ${position + 1}: the moon's gravity pulls the oceans (${String(body.query)}).`,
    }));
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ organic }));
  });
  const engine = new EngineQueue();
  const model = await listen(async (request, response) => {
    const body = await readBody(request);
    if (request.url === "/tokenize") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ count: estimateTokens(String(body.prompt ?? "")), tokens: [], max_model_len: 4096 }));
      return;
    }
    if (request.url === "/v1/completions") {
      const prompts = Array.isArray(body.prompt) ? body.prompt.map(String) : [String(body.prompt)];
      // Batched decoding: a batch costs about as much as one sequence.
      await engine.run(() => sleep(latencies.ttftMs + latencies.summaryTokens * latencies.perTokenMs));
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify({ choices: prompts.map((prompt, index) => ({ index, text: summaryFor(prompt, latencies.summaryTokens), finish_reason: "stop" })) }),
      );
      return;
    }
    if (request.url === "/v1/chat/completions") {
      const messages = Array.isArray(body.messages) ? (body.messages as { role: string; content: string }[]) : [];
      await engine.run(() => streamChat(response, messages, latencies));
      return;
    }
    response.writeHead(404).end();
  });
  return {
    searchUrl: `${search.origin}/search`,
    modelBaseUrl: `${model.origin}/v1`,
    pageUrl: (index) => `${pages.origin}/page/${index}`,
    close: async () => {
      for (const server of [pages.server, search.server, model.server]) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  };
}

function pageHtml(index: number): string {
  const paragraphs = Array.from(
    { length: 12 },
    (_, line) =>
      `<p>Fact ${index}.${line}: tides rise and fall twice a day because the moon and the sun pull on the oceans; page ${index} explains part ${line}.</p>`,
  );
  return `<!doctype html><html><head><title>Tides, page ${index}</title></head><body><article><h1>Tides ${index}</h1>${paragraphs.join("")}</article></body></html>`;
}

/** The reference's timed-out pages carry this sentinel (reference §2.2); they summarize to "no relevant content". */
export const TIMEOUT_SENTINEL = "搜索页面加载超时, 请重试";

function summaryFor(prompt: string, tokens: number): string {
  if (prompt.includes(TIMEOUT_SENTINEL) || !/Fact \d/.test(prompt)) return "NO_RELEVANT_CONTENT";
  return `Tides follow the moon. ${"detail ".repeat(Math.max(0, tokens - 5))}`.trim();
}

async function streamChat(response: ServerResponse, messages: { role: string; content: string }[], latencies: Latencies): Promise<void> {
  response.writeHead(200, { "content-type": "text/event-stream" });
  const last = messages[messages.length - 1];
  const pieces = last?.role === "observation" ? answerPieces(last.content, latencies.answerTokens) : callPieces(messages);
  await sleep(latencies.ttftMs);
  for (const [position, piece] of pieces.entries()) {
    if (position > 0) await sleep(latencies.perTokenMs);
    response.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`);
  }
  response.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`);
  response.end("data: [DONE]\n\n");
}

/** The decision: a tool call, streamed one token-sized piece at a time. */
function callPieces(messages: { role: string; content: string }[]): string[] {
  const question = [...messages].reverse().find((message) => message.role === "user")?.content ?? "";
  const name = messages[0]?.content.includes('"name": "googleWebSearch"') ? "googleWebSearch" : "webSearch";
  const call = `{"name": "${name}", "arguments": {"query": ${JSON.stringify(question)}}}`;
  return ["<|function_start|>", ...(call.match(/.{1,4}/g) ?? []), "<|function_end|>"];
}

/** The answer: one sentence per context that has content, citing it. */
function answerPieces(observation: string, tokens: number): string[] {
  const parts = observation.split(/\[\[citation:(\d+)\]\]/);
  const pieces: string[] = [];
  for (let position = 1; position < parts.length; position += 2) {
    if (/NO_RELEVANT_CONTENT|无相关内容/.test(parts[position + 1] ?? "")) continue;
    pieces.push(`Tides follow the moon [citation:${parts[position]}]. `);
  }
  while (pieces.length < tokens) pieces.push("word ");
  return pieces;
}
