/**
 * A scripted OpenAI-compatible engine on a loopback node:http server (a test double of the model
 * server, for end-to-end tests whose subject is the client side): it asks for a search when the
 * agent offers its tool, answers the observation citing sources 1 and 2, writes follow-up questions
 * for the related-questions prompt, and summarizes pages. The demo model's random weights never
 * cite, so recipes that must show sources coming back run against this instead.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export const SCRIPTED_SEARCH_QUERY = "how the agent cites sources";
export const SCRIPTED_ANSWER = "The agent numbers its sources by rank [citation:1] and links each citation [citation:2].";

interface Message {
  role: string;
  content: string | { type: string; text?: string }[];
}

const text = (message: Message | undefined) =>
  !message ? "" : typeof message.content === "string" ? message.content : message.content.map((part) => part.text ?? "").join("");

function reply(messages: Message[]): string {
  const last = messages[messages.length - 1];
  if (last?.role === "observation") return SCRIPTED_ANSWER;
  if (text(last).startsWith("Question:")) return "How are sources numbered?\nCan the search be limited to one site?";
  if (text(messages[0]).includes("webSearch"))
    return `<|function_start|>{"name": "webSearch", "arguments": {"query": "${SCRIPTED_SEARCH_QUERY}"}}<|function_end|>`;
  return "Hello from the scripted engine.";
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
}

export interface ScriptedEngine {
  url: string;
  close(): Promise<void>;
}

export async function startScriptedEngine(): Promise<ScriptedEngine> {
  const server = createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? "/", "http://engine").pathname;
      if (path === "/health") return void response.writeHead(200).end("ok");
      if (request.method !== "POST") return void response.writeHead(404).end();
      const body = (await readBody(request)) as { messages?: Message[]; prompt?: string[] };
      if (path === "/v1/completions") {
        const choices = (body.prompt ?? []).map((_, index) => ({ index, text: "The page explains how the agent numbers and links its sources." }));
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ choices }));
        return;
      }
      if (path !== "/v1/chat/completions") return void response.writeHead(404).end();
      const answer = reply(body.messages ?? []);
      response.writeHead(200, { "content-type": "text/event-stream" });
      for (let i = 0; i < answer.length; i += 8) {
        response.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: answer.slice(i, i + 8) }, finish_reason: null }] })}\n\n`);
      }
      response.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`);
      response.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 120, completion_tokens: Math.ceil(answer.length / 4) } })}\n\n`);
      response.end("data: [DONE]\n\n");
    })().catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
