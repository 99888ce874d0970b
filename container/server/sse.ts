/**
 * Server-sent events for the engine's OpenAI streaming format: `data: <json>\n\n` frames
 * ending with `data: [DONE]\n\n`. Cancelling the response body (client disconnect) aborts the
 * generation behind it. The worker has its own writer (workers/sse-stream.ts); the engine keeps
 * this small copy because its image holds only container/.
 */

export const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache",
  Connection: "keep-alive",
  "X-Accel-Buffering": "no",
} as const;

const encoder = new TextEncoder();

export function sseFrame(data: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
}

export const SSE_DONE = encoder.encode("data: [DONE]\n\n");

/**
 * Build an SSE body from an async producer. `abort` fires when the client goes away.
 *
 * @example
 *   return new Response(sseBody(async (send) => { send({ hello: 1 }); }, controller), { headers: SSE_HEADERS });
 */
export function sseBody(produce: (send: (data: unknown) => void) => Promise<void>, abort: AbortController): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (data: unknown): void => {
        if (!abort.signal.aborted) controller.enqueue(sseFrame(data));
      };
      try {
        await produce(send);
      } finally {
        if (!abort.signal.aborted) {
          controller.enqueue(SSE_DONE);
          controller.close();
        }
      }
    },
    cancel() {
      abort.abort();
    },
  });
}
