/**
 * Reads Server-Sent Events frames from a byte or text stream, with the
 * `eventsource-parser` package (WHATWG EventSource parsing rules, minus
 * reconnection: comments skipped, CR/LF/CRLF line ends even split across
 * chunks, a frame cut off by the end of the stream discarded). As the browser's
 * EventSource does, the last `id` is carried to later frames that set none.
 * Shared by the model client (OpenAI SSE), `parseSSEEvents` (our own event
 * stream) and the widget in the browser.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";

export interface SSEFrame {
  id?: string;
  event?: string;
  data: string;
}

export async function* readSSEFrames(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>): AsyncGenerator<SSEFrame> {
  const ready: SSEFrame[] = [];
  let lastEventId: string | undefined;
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      lastEventId = message.id ?? lastEventId;
      ready.push(toFrame(message.data, lastEventId, message.event));
    },
  });
  const decoder = new TextDecoder();
  const iterable: AsyncIterable<Uint8Array | string> = Symbol.asyncIterator in body ? body : streamIterable(body);
  for await (const chunk of iterable) {
    parser.feed(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
    yield* ready.splice(0);
  }
  parser.feed(decoder.decode());
  yield* ready.splice(0);
}

async function* streamIterable(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

function toFrame(data: string, id: string | undefined, event: string | undefined): SSEFrame {
  const frame: SSEFrame = { data };
  if (id !== undefined) frame.id = id;
  if (event !== undefined) frame.event = event;
  return frame;
}
