/**
 * A scripted OpenAI-compatible engine on a loopback port, for end-to-end tests
 * that need an answer with citations (the demo model's random words never
 * cite): it calls the search tool when offered it, answers an observation
 * citing sources 1 and 2, and summarizes pages. A test double: the product
 * talks to the real engine.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export const SCRIPTED_ANSWER = "The agent cites its sources [citation:1] and [citation:2].";

export interface ScriptedEngine {
  url: string;
  close(): Promise<void>;
}

interface ChatBody {
  messages?: { role: string; content: unknown }[];
  prompt?: string[];
}

const text = (content: unknown): string => (typeof content === "string" ? content : JSON.stringify(content ?? ""));

function replyTo(body: ChatBody): string {
  const messages = body.messages ?? [];
  const last = messages.at(-1);
  if (last?.role === "observation") return SCRIPTED_ANSWER;
  if (text(messages[0]?.content).includes("webSearch") && last?.role === "user") {
    return '<|function_start|>{"name":"webSearch","arguments":{"query":"agent citations"}}<|function_end|>';
  }
  return "Hello from the scripted engine.";
}

export async function startScriptedEngine(): Promise<ScriptedEngine> {
  const server: Server = createServer(async (req, res) => {
    let raw = "";
    for await (const chunk of req) raw += String(chunk);
    const body = (raw ? JSON.parse(raw) : {}) as ChatBody;
    if (req.url === "/v1/completions") {
      const prompts = body.prompt ?? [];
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ choices: prompts.map((_, index) => ({ index, text: "Notes: the agent numbers sources by rank and cites them." })) }));
      return;
    }
    if (req.url !== "/v1/chat/completions") {
      res.writeHead(404).end();
      return;
    }
    const reply = replyTo(body);
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (let i = 0; i < reply.length; i += 8) {
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: reply.slice(i, i + 8) }, finish_reason: null }] })}\n\n`);
    }
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`);
    res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: raw.length >> 2, completion_tokens: Math.ceil(reply.length / 4) } })}\n\n`);
    res.end("data: [DONE]\n\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === "string") throw new Error("the scripted engine is not listening on a TCP port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
