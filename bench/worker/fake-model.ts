/**
 * A loopback OpenAI-compatible model for the worker-overhead benchmark: every
 * streamed chat answer takes a fixed time to first token plus a fixed delay
 * per token, and concurrent requests do not queue, so the backend's share of
 * a request's latency is known and constant.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeModelTiming {
  ttftMs: number;
  perTokenMs: number;
  tokens: number;
}

export interface FakeModel {
  url: string;
  /** The latency a client sees when it calls the model directly (the backend's own time). */
  expectedMs: number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startFakeModel(timing: FakeModelTiming): Promise<FakeModel> {
  const server: Server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += String(chunk);
    if (req.url === "/tokenize") {
      res.writeHead(404).end();
      return;
    }
    if (req.url !== "/v1/chat/completions") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    await sleep(timing.ttftMs);
    for (let i = 0; i < timing.tokens; i += 1) {
      if (i > 0) await sleep(timing.perTokenMs);
      res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: ` w${i}` }, finish_reason: null }] })}\n\n`);
    }
    res.write(`data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: "stop" }] })}\n\n`);
    res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: body.length >> 2, completion_tokens: timing.tokens } })}\n\n`);
    res.end("data: [DONE]\n\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === "string") throw new Error("the fake model is not listening on a TCP port");
  const { port } = address;
  return {
    url: `http://127.0.0.1:${port}`,
    expectedMs: timing.ttftMs + (timing.tokens - 1) * timing.perTokenMs,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
