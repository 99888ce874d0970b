/**
 * The worker's one writer of server-sent events, for every streaming route
 * (`/api/chat` and its resume, `/v1/chat/completions`, and any route that
 * streams the agent's answer): the frame syntax, the response headers, the
 * keep-alive comments while the stream is idle, what happens when the client
 * goes away, and the finish guarantee (every answer's event stream ends with a
 * `finish` event, after an `error` event when something broke). Routes only
 * map the agent's events to their own frames.
 *
 * @example
 * const events = withFinish(run(request), (err) => log.error("answer failed", describeError(err)));
 * return sseResponse(myFrames(events), { keepAliveMs: config.keepAliveMs, onCancel: () => abort.abort() });
 */
import type { ChatEvent } from "../agent/events";

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
  "x-content-type-options": "nosniff",
};

export const KEEP_ALIVE_FRAME = ": keep-alive\n\n";

export interface SSEFrameFields {
  id?: number | string;
  event?: string;
  /** The payload; a multi-line payload becomes one `data:` line per line. */
  data: string;
}

/** One frame: `id:`, `event:` and `data:` lines in that order, then a blank line. */
export function sseFrame(fields: SSEFrameFields): string {
  let frame = "";
  if (fields.id !== undefined) frame += `id: ${fields.id}\n`;
  if (fields.event !== undefined) frame += `event: ${fields.event}\n`;
  for (const line of fields.data.split(/\r\n|\r|\n/)) frame += `data: ${line}\n`;
  return `${frame}\n`;
}

/** A frame whose data is `value` as JSON. */
export const jsonFrame = (value: unknown, fields: Omit<SSEFrameFields, "data"> = {}): string => sseFrame({ ...fields, data: JSON.stringify(value) });

export interface SSEResponseOptions {
  /** Idle time before a keep-alive comment; 0 sends none. */
  keepAliveMs: number;
  /** Called once when the client goes away before the last frame (e.g. to abort the work behind the stream). */
  onCancel?: () => void;
  /** Called when the frame source throws; the stream then breaks off, so the client sees a failure, not an end. */
  onError?: (error: unknown) => void;
  /** Extra response headers (e.g. `x-session-id`). */
  headers?: Record<string, string>;
  status?: number;
}

/**
 * A streaming response of `frames`, read as the client reads (backpressure:
 * a slow client slows the source down), with a keep-alive comment whenever
 * nothing was written for `keepAliveMs`.
 */
export function sseResponse(frames: AsyncIterable<string>, options: SSEResponseOptions): Response {
  return new Response(sseBody(frames, options), { status: options.status ?? 200, headers: { ...SSE_HEADERS, ...options.headers } });
}

function sseBody(frames: AsyncIterable<string>, options: SSEResponseOptions): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = frames[Symbol.asyncIterator]();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let open = true;
  let write: (frame: string) => void = () => undefined;
  const stop = () => {
    open = false;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const arm = () => {
        if (timer !== undefined) clearTimeout(timer);
        if (options.keepAliveMs > 0) timer = setTimeout(() => write(KEEP_ALIVE_FRAME), options.keepAliveMs);
      };
      write = (frame: string) => {
        if (!open) return;
        controller.enqueue(encoder.encode(frame));
        arm();
      };
      arm();
    },
    async pull(controller) {
      try {
        const step = await iterator.next();
        if (!open) return;
        if (step.done) {
          stop();
          controller.close();
          return;
        }
        write(step.value);
      } catch (error) {
        if (!open) return;
        stop();
        options.onError?.(error);
        controller.error(error);
      }
    },
    async cancel() {
      if (!open) return;
      stop();
      options.onCancel?.();
      // A source busy in `next()` finishes that first (onCancel is there to end it).
      await iterator.return?.()?.catch(() => undefined);
    },
  });
}

const NO_USAGE = { promptTokens: 0, completionTokens: 0 };

/** The events that close an answer that broke outside the agent's own handling. */
export function failureEvents(code: string, message: string, reason: "error" | "aborted"): ChatEvent[] {
  return [
    { type: "error", code, message, retryable: true },
    { type: "finish", reason, usage: NO_USAGE },
  ];
}

/**
 * The finish guarantee: passes the agent's events through and, when the source
 * throws or ends without `finish`, reports the failure to `onFailure` and ends
 * the stream with an `error` event and `finish` (reason `error`) itself. The
 * source is not read past its `finish`.
 */
export async function* withFinish(events: AsyncIterable<ChatEvent>, onFailure: (error: unknown) => void): AsyncGenerator<ChatEvent> {
  try {
    for await (const event of events) {
      yield event;
      if (event.type === "finish") return;
    }
    throw new Error("agent stream ended without a finish event");
  } catch (error) {
    onFailure(error);
    yield* failureEvents("internal", "An internal error occurred.", "error");
  }
}
