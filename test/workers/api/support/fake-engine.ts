/**
 * A scripted stand-in for the engine, used as the ENGINE service binding in
 * worker tests (a test double: production reaches the real engine). It speaks
 * the slice of the OpenAI API the agent uses: streamed chat completions,
 * batched completions, and no /tokenize (404, so the agent estimates). Every
 * request is recorded for assertions.
 */

/** A content part as the agent sends it for a message with attachments. */
export type FakeEnginePart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string } }
  | { type: "input_audio"; input_audio: { data: string; format: string } };

export interface FakeEngineMessage {
  role: string;
  content: string | FakeEnginePart[];
}

export interface FakeEngineCall {
  path: string;
  body: {
    messages?: FakeEngineMessage[];
    prompt?: string[];
    max_tokens?: number;
    stop?: string[];
    top_p?: number;
    seed?: number;
    temperature?: number;
    presence_penalty?: number;
    frequency_penalty?: number;
  };
}

/** The text of a message, whether plain or in content parts. */
export function textOf(message: FakeEngineMessage | undefined): string {
  if (!message) return "";
  if (typeof message.content === "string") return message.content;
  return message.content.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");
}

export interface FakeEngineScript {
  /** The raw text the model "generates" for a chat request (special tokens included). */
  reply?: (messages: FakeEngineMessage[]) => string;
  /** Fail chat and completion calls with this HTTP status and body. */
  failWith?: { status: number; body: string; headers?: Record<string, string> };
  /** Characters per streamed chunk and the delay between chunks. */
  chunkSize?: number;
  chunkDelayMs?: number;
  /**
   * The engine dies mid-answer: after this many content chunks the chat stream
   * ends (`"close"`: the connection closes cleanly, with no finish_reason and no
   * [DONE]; `"error"`: the connection breaks).
   */
  cut?: { afterChunks: number; how: "close" | "error" };
  /** The finish_reason the chat stream reports (default "stop"). */
  finishReason?: "stop" | "length";
  /** `GET /health`: answer 200 (default), an HTTP status, or fail the connection ("down"). */
  health?: number | "down";
}

export const SEARCH_CALL = '<|function_start|>{"name":"webSearch","arguments":{"query":"edge api citations"}}<|function_end|>';

/** Default behaviour: search when offered the tool, then answer citing sources 1 and 2. */
export function defaultReply(messages: FakeEngineMessage[]): string {
  const last = messages[messages.length - 1];
  if (last?.role === "observation") return "The worker cites its sources [citation:1] and [citation:2].";
  const system = textOf(messages[0]);
  if (system.includes("webSearch") && last?.role === "user" && textOf(last).includes("search")) return SEARCH_CALL;
  return "Hello from the fake engine.";
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sse(frames: unknown[], chunkDelayMs: number, signal: AbortSignal, onAbort: () => void, cut: FakeEngineScript["cut"]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    async start(controller) {
      try {
        for (const [position, frame] of frames.entries()) {
          if (cut && position === cut.afterChunks) {
            if (cut.how === "error") controller.error(new Error("engine connection lost"));
            else controller.close();
            return;
          }
          if (chunkDelayMs > 0) await sleep(chunkDelayMs);
          if (signal.aborted) {
            onAbort();
            controller.error(signal.reason);
            return;
          }
          controller.enqueue(encoder.encode(`data: ${typeof frame === "string" ? frame : JSON.stringify(frame)}\n\n`));
        }
        controller.close();
      } catch {
        // the reader went away (client aborted): nothing more to send
      }
    },
  });
}

export interface FakeEngine extends Fetcher {
  calls: FakeEngineCall[];
  /** Chat streams stopped because the caller aborted the request. */
  readonly aborted: number;
}

export function createFakeEngine(script: FakeEngineScript = {}): FakeEngine {
  const calls: FakeEngineCall[] = [];
  let aborted = 0;
  const reply = script.reply ?? defaultReply;
  const chunkSize = script.chunkSize ?? 6;
  const chunkDelayMs = script.chunkDelayMs ?? 0;
  async function handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/health") {
      if (script.health === "down") throw new Error("connection refused");
      return Response.json({ ok: script.health === undefined }, { status: script.health ?? 200 });
    }
    if (path === "/tokenize") return new Response("not found", { status: 404 });
    const body: FakeEngineCall["body"] = await request.json();
    calls.push({ path, body });
    if (script.failWith) return new Response(script.failWith.body, { status: script.failWith.status, headers: script.failWith.headers ?? {} });
    if (path === "/v1/completions") {
      const prompts = body.prompt ?? [];
      return Response.json({ choices: prompts.map((_, index) => ({ index, text: `Summary ${index + 1}: the page explains the edge API.` })) });
    }
    if (path !== "/v1/chat/completions") return new Response("not found", { status: 404 });
    const text = reply(body.messages ?? []);
    const frames: unknown[] = [];
    for (let i = 0; i < text.length; i += chunkSize) frames.push({ choices: [{ delta: { content: text.slice(i, i + chunkSize) }, finish_reason: null }] });
    frames.push({ choices: [{ delta: {}, finish_reason: script.finishReason ?? "stop" }] });
    frames.push({ choices: [], usage: { prompt_tokens: 100, completion_tokens: Math.ceil(text.length / 4) } });
    frames.push("[DONE]");
    const onAbort = () => {
      aborted += 1;
    };
    return new Response(sse(frames, chunkDelayMs, request.signal, onAbort, script.cut), { headers: { "content-type": "text/event-stream" } });
  }
  return {
    calls,
    get aborted() {
      return aborted;
    },
    fetch: (input: RequestInfo | URL, init?: RequestInit) => handle(new Request(input, init)),
    connect: () => {
      throw new Error("the fake engine has no sockets");
    },
  };
}
