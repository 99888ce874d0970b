/**
 * A test double of the worker's widget endpoints (`POST /api/chat` as SSE,
 * `GET /api/sessions/:id`) on a local node:http server, with a scripted
 * answer: hostile source titles and markup in the answer text that the real
 * demo model (random weights) would never produce on purpose. It also serves
 * host pages, so the widget (loaded from the real worker) can be embedded in
 * pages the tests control. Frames are paced so the answer truly streams.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { z } from "zod";
import type { ChatEvent } from "../../agent/events";

const chatBodySchema = z.object({ sessionId: z.string().optional(), message: z.string() });

export interface RecordedRequest {
  method: string;
  path: string;
  siteKey: string | undefined;
  lastEventId: string | undefined;
  body: string;
}

export interface FakeChatBackend {
  origin: string;
  requests: RecordedRequest[];
  /** Serves a fixed file at `path`, e.g. a host page that embeds the widget. */
  serve(path: string, file: { type: string; body: string; headers?: Record<string, string> }): void;
  close(): Promise<void>;
}

export const hostileTitle = '<img src=x onerror="window.__megrezPwned=1">';
export const answerText =
  "**Paris** is the capital of France [1]. One page tried to inject markup [2] <script>window.__megrezPwned=2</script>.\n\n" +
  "- The city has about `2.1 million` people [1]\n- It lies on the Seine [1, 2]\n\n[not a link](javascript:alert(1))";

export function scriptedAnswer(sessionId: string): ChatEvent[] {
  const deltas = answerText.match(/[\s\S]{1,12}/g) ?? [];
  return [
    { type: "start", id: "answer-1", model: "megrez", created: 1764100000, sessionId },
    { type: "status", stage: "searching" },
    { type: "search-start", query: "capital of France", round: 0 },
    {
      type: "source",
      index: 1,
      url: "https://example.org/paris",
      title: "Paris — Wikipedia",
      snippet: "Paris is the capital and largest city of France.",
      domain: "example.org",
    },
    { type: "source", index: 2, url: "https://evil.example/page", title: hostileTitle, snippet: "<b>bold?</b>", domain: "evil.example" },
    { type: "search-end", query: "capital of France", resultCount: 2 },
    { type: "status", stage: "reading", done: 1, total: 2 },
    { type: "page-read", index: 1, outcome: "summarized", done: 1, total: 2 },
    { type: "status", stage: "reading", done: 2, total: 2 },
    { type: "status", stage: "writing" },
    ...deltas.map((delta): ChatEvent => ({ type: "text-delta", delta })),
    { type: "citation", index: 1, url: "https://example.org/paris", title: "Paris — Wikipedia", start: 31, end: 34 },
    { type: "finish", reason: "stop", usage: { promptTokens: 10, completionTokens: 40 } },
  ];
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startFakeChatBackend(input: { frameDelayMs: number; attachments?: { image: boolean; audio: boolean } }): Promise<FakeChatBackend> {
  const requests: RecordedRequest[] = [];
  const pages = new Map<string, { type: string; body: string; headers?: Record<string, string> }>();
  const sessions = new Map<string, Array<{ role: string; content: string; sources?: unknown[]; createdAt: string }>>();
  let sessionCount = 0;

  /** Writes frames with ids after `afterId`; a message containing "[cut]" is cut off at frame `cutAt`. */
  async function writeFrames(response: ServerResponse, sessionId: string, afterId: number, cutAt: number | undefined, delayMs = input.frameDelayMs) {
    const events = scriptedAnswer(sessionId);
    for (let id = afterId + 1; id <= events.length; id++) {
      if (response.destroyed) return false;
      if (id === cutAt) {
        response.destroy();
        return false;
      }
      const event = events[id - 1];
      response.write(`id: ${id}\nevent: ${event?.type}\ndata: ${JSON.stringify(event)}\n\n`);
      await pause(delayMs);
    }
    response.end();
    return true;
  }

  async function chat(response: ServerResponse, body: string) {
    const parsed = chatBodySchema.parse(JSON.parse(body));
    const sessionId = parsed.sessionId ?? `fake-session-${++sessionCount}`;
    const history = sessions.get(sessionId) ?? [];
    sessions.set(sessionId, history);
    history.push({ role: "user", content: parsed.message, createdAt: new Date().toISOString() });
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "x-session-id": sessionId });
    response.write(": keep-alive\n\n");
    const cut = parsed.message.includes("[cut]") ? 15 : undefined;
    const delay = parsed.message.includes("[slow]") ? 250 : input.frameDelayMs;
    if (!(await writeFrames(response, sessionId, 0, cut, delay)) && cut === undefined) return;
    history.push({
      role: "assistant",
      content: answerText,
      sources: [
        { index: 1, url: "https://example.org/paris", title: "Paris — Wikipedia" },
        { index: 2, url: "https://evil.example/page", title: hostileTitle },
      ],
      createdAt: new Date().toISOString(),
    });
  }

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://fake");
    const body = await readBody(request);
    const siteKey = request.headers["x-site-key"];
    const lastEventId = request.headers["last-event-id"];
    requests.push({
      method: request.method ?? "",
      path: url.pathname,
      siteKey: typeof siteKey === "string" ? siteKey : undefined,
      lastEventId: typeof lastEventId === "string" ? lastEventId : undefined,
      body,
    });
    const page = pages.get(url.pathname);
    if (page) {
      response.writeHead(200, { ...page.headers, "content-type": page.type });
      return response.end(page.body);
    }
    if (request.method === "POST" && url.pathname === "/api/chat") return chat(response, body);
    if (request.method === "GET" && url.pathname === "/widget/capabilities") {
      response.writeHead(200, { "content-type": "application/json" });
      return response.end(JSON.stringify({ attachments: input.attachments ?? { image: false, audio: false }, maxAttachmentBytes: 1000 }));
    }
    const resume = /^\/api\/chat\/([\w-]+)\/stream$/.exec(url.pathname);
    if (request.method === "GET" && resume?.[1] && sessions.has(resume[1])) {
      response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      return writeFrames(response, resume[1], Number(lastEventId ?? 0), undefined);
    }
    const session = /^\/api\/sessions\/([\w-]+)$/.exec(url.pathname);
    const history = session?.[1] ? sessions.get(session[1]) : undefined;
    if (request.method === "GET" && session && history) {
      response.writeHead(200, { "content-type": "application/json" });
      return response.end(JSON.stringify({ id: session[1], active: false, messages: history }));
    }
    response.writeHead(404, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: { message: "not found", type: "not_found_error", code: "not_found" } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the fake backend is not listening on TCP");
  return {
    origin: `http://127.0.0.1:${address.port}`,
    requests,
    serve(path, file) {
      pages.set(path, file);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
