/**
 * A simulated engine for the pool benchmark: a real HTTP server on loopback that speaks the
 * engine's streamed chat API and /health, with the engine's shape of cost instead of a model.
 * `maxBatch` sequences run at once (the rest queue); a prompt costs `prefillMs` per token it
 * does not find in the prefix cache (the longest cached prompt prefix of at least 16 tokens,
 * as container/engine/prefix-cache.ts), each output token `decodeMs`. Tokens are words. The
 * final usage chunk reports `prompt_tokens_details.cached_tokens`, as OpenAI does. `kill()`
 * drops every connection at once, as a crashed process would.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface SimEngineOptions {
  maxBatch: number;
  prefillMs: number;
  decodeMs: number;
  /** Prompts the prefix cache keeps (least recently used out first). */
  cacheEntries: number;
}

export interface SimEngine {
  url: string;
  stats: { requests: number; promptTokens: number; cachedTokens: number };
  /** Cached prompt tokens of each request, by the first word of its last message (the bench's tag). */
  cachedByTag: Map<string, number>;
  close(): Promise<void>;
  kill(): void;
}

const MIN_PREFIX = 16;
const TOKENS_PER_FRAME = 4;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sharedLength(a: readonly string[], b: readonly string[]): number {
  const limit = Math.min(a.length, b.length);
  let i = 0;
  while (i < limit && a[i] === b[i]) i++;
  return i;
}

class PrefixCache {
  private entries: string[][] = [];
  constructor(private readonly capacity: number) {}

  lookup(tokens: readonly string[]): number {
    let best = 0;
    let bestIndex = -1;
    this.entries.forEach((entry, index) => {
      const shared = sharedLength(entry, tokens);
      if (shared > best) {
        best = shared;
        bestIndex = index;
      }
    });
    if (bestIndex === -1 || best < MIN_PREFIX) return 0;
    const [entry] = this.entries.splice(bestIndex, 1);
    if (entry) this.entries.push(entry);
    return best;
  }

  insert(tokens: string[]): void {
    this.entries = this.entries.filter((entry) => sharedLength(entry, tokens) < entry.length);
    this.entries.push(tokens);
    while (this.entries.length > this.capacity) this.entries.shift();
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => resolve(body));
    request.on("error", reject);
  });
}

export async function startSimEngine(options: SimEngineOptions): Promise<SimEngine> {
  const cache = new PrefixCache(options.cacheEntries);
  const stats = { requests: 0, promptTokens: 0, cachedTokens: 0 };
  const cachedByTag = new Map<string, number>();
  const waiting: Array<() => void> = [];
  let running = 0;
  const sockets = new Set<Socket>();

  const acquire = async (): Promise<void> => {
    if (running < options.maxBatch) {
      running += 1;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  };

  async function chat(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = JSON.parse(await readBody(request)) as { messages: { role: string; content: string }[]; max_tokens?: number };
    const tokens = body.messages.flatMap((message) => [`<${message.role}>`, ...message.content.split(/\s+/).filter(Boolean)]);
    const maxTokens = body.max_tokens ?? 16;
    stats.requests += 1;
    let gone = false;
    response.on("close", () => (gone = true));
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const send = (data: unknown) => response.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
    send({ choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
    await acquire();
    try {
      const cached = cache.lookup(tokens);
      stats.promptTokens += tokens.length;
      stats.cachedTokens += cached;
      const tag = body.messages.at(-1)?.content.split(/\s+/)[0];
      if (tag) cachedByTag.set(tag, cached);
      await sleep((tokens.length - cached) * options.prefillMs);
      cache.insert(tokens);
      // The first token right after the prefill, then the rest in frames of TOKENS_PER_FRAME
      // (same per-token cost; fewer frames keep the benchmark's client from being the bottleneck).
      for (let sent = 0; sent < maxTokens && !gone; ) {
        const count = sent === 0 ? 1 : Math.min(TOKENS_PER_FRAME, maxTokens - sent);
        if (sent > 0) await sleep(count * options.decodeMs);
        const words = Array.from({ length: count }, (_, i) => ` w${((sent + i) * 7919 + tokens.length) % 1000}`);
        send({ choices: [{ index: 0, delta: { content: words.join("") }, finish_reason: null }] });
        sent += count;
      }
      send({ choices: [{ index: 0, delta: {}, finish_reason: "length" }] });
      send({ choices: [], usage: { prompt_tokens: tokens.length, completion_tokens: maxTokens, prompt_tokens_details: { cached_tokens: cached } } });
      send("[DONE]");
      response.end();
    } finally {
      release();
    }
  }

  const server = createServer((request, response) => {
    if (request.method === "GET" && request.url?.startsWith("/health")) {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ ok: true, queue_depth: waiting.length, running_sequences: running, batch_size: running, max_batch: options.maxBatch }));
      return;
    }
    if (request.method === "GET" && request.url?.startsWith("/bench/cached/")) {
      const cached = cachedByTag.get(decodeURIComponent(request.url.slice("/bench/cached/".length)));
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ cached: cached ?? null }));
      return;
    }
    if (request.method === "POST" && request.url === "/v1/chat/completions") {
      chat(request, response).catch(() => response.destroy());
      return;
    }
    response.writeHead(404).end();
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    cachedByTag,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
    kill: () => {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

/**
 * Run as its own process (the benchmark keeps engines and clients apart, so neither's work
 * delays the other's timers): `tsx bench/pool/sim-engine.ts '<options JSON>' N` prints one
 * line `ready <url> …`, answers `kill <i>` on stdin, and serves GET /bench/cached/<tag>.
 */
async function serveFromCli(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? "{}") as SimEngineOptions;
  const engines = await Promise.all(Array.from({ length: Number(process.argv[3] ?? 1) }, () => startSimEngine(options)));
  console.log(`ready ${engines.map((engine) => engine.url).join(" ")}`);
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (text: string) => {
    for (const line of text.split("\n")) {
      const match = /^kill (\d+)/.exec(line.trim());
      if (match) engines[Number(match[1])]?.kill();
    }
  });
  process.stdin.on("end", () => process.exit(0));
}

if (process.argv[1]?.endsWith("sim-engine.ts")) void serveFromCli();
