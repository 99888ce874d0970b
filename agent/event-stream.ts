/**
 * The one place ChatEvents become wire frames. Each event is one SSE frame:
 * `id: n`, `event: <type>`, `data: <json>`; a comment frame keeps idle
 * connections (and proxies) alive while the agent waits on pages or the
 * model. `parseSSEEvents` is the inverse, for clients and tests, and checks
 * every frame against the same zod schema.
 */
import { chatEventSchema, type ChatEvent } from "./events";
import { safeParseJSON } from "./json";
import { readSSEFrames } from "./sse-frames";

export const SSE_HEADERS: Record<string, string> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no",
  "x-content-type-options": "nosniff",
};

export const KEEP_ALIVE_FRAME = ": keep-alive\n\n";

export function formatSSEFrame(event: ChatEvent, id: number): string {
  return `id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export interface SSEStreamOptions {
  /** Idle time before a keep-alive comment (default 15 s; 0 disables). */
  keepAliveMs?: number;
  /** Id of the first frame (a resumed stream continues its numbering). */
  startId?: number;
}

export function toSSEStream(events: AsyncIterable<ChatEvent>, options: SSEStreamOptions = {}): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const iterator = events[Symbol.asyncIterator]();
  let nextId = options.startId ?? 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  const stopTimer = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (keepAliveMs > 0) {
        timer = setInterval(() => {
          try {
            controller.enqueue(encoder.encode(KEEP_ALIVE_FRAME));
          } catch {
            stopTimer();
          }
        }, keepAliveMs);
      }
    },
    async pull(controller) {
      try {
        const step = await iterator.next();
        if (step.done) {
          stopTimer();
          controller.close();
          return;
        }
        controller.enqueue(encoder.encode(formatSSEFrame(step.value, nextId)));
        nextId += 1;
      } catch (error) {
        stopTimer();
        controller.error(error);
      }
    },
    async cancel() {
      stopTimer();
      await iterator.return?.();
    },
  });
}

export interface ParsedSSEEvent {
  id?: string;
  event: ChatEvent;
}

/** Reads an event stream back; throws on a frame that is not a valid ChatEvent. */
export async function* parseSSEEvents(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>): AsyncGenerator<ParsedSSEEvent> {
  for await (const frame of readSSEFrames(body)) {
    const json = safeParseJSON(frame.data);
    const parsed = json.ok ? chatEventSchema.safeParse(json.value) : undefined;
    if (!parsed?.success) throw new Error(`invalid event frame: ${frame.data.slice(0, 200)}`);
    if (frame.event !== undefined && frame.event !== parsed.data.type) throw new Error(`event name ${frame.event} does not match type ${parsed.data.type}`);
    yield frame.id === undefined ? { event: parsed.data } : { id: frame.id, event: parsed.data };
  }
}
