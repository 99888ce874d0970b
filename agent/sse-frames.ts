/**
 * Reads Server-Sent Events frames from a byte or text stream (WHATWG EventSource
 * parsing rules, minus reconnection: comments skipped, CR/LF/CRLF line ends even
 * split across chunks, and the last `id` carried to later frames that set none).
 * Shared by the model client (OpenAI SSE), `parseSSEEvents` (our own event
 * stream) and the widget in the browser.
 */

export interface SSEFrame {
  id?: string;
  event?: string;
  data: string;
}

export async function* readSSEFrames(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>): AsyncGenerator<SSEFrame> {
  const decoder = new TextDecoder();
  let buffer = "";
  let frame: { id?: string; event?: string; data: string[] } = { data: [] };
  let lastEventId: string | undefined;
  const iterable: AsyncIterable<Uint8Array | string> = Symbol.asyncIterator in body ? body : streamIterable(body);
  for await (const chunk of iterable) {
    buffer += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let newline = findNewline(buffer);
    while (newline !== null) {
      const line = buffer.slice(0, newline.at);
      buffer = buffer.slice(newline.at + newline.length);
      if (line === "") {
        lastEventId = frame.id ?? lastEventId;
        if (frame.data.length > 0) yield toFrame({ ...frame, id: lastEventId });
        frame = { data: [] };
      } else {
        applyLine(frame, line);
      }
      newline = findNewline(buffer);
    }
  }
  buffer += decoder.decode();
  if (buffer !== "") applyLine(frame, buffer);
  if (frame.data.length > 0) yield toFrame({ ...frame, id: frame.id ?? lastEventId });
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

function findNewline(buffer: string): { at: number; length: number } | null {
  const at = buffer.search(/\r\n|\r|\n/);
  if (at < 0) return null;
  // A lone trailing "\r" may be the first half of "\r\n": wait for more bytes.
  if (buffer[at] === "\r" && at === buffer.length - 1) return null;
  return { at, length: buffer.startsWith("\r\n", at) ? 2 : 1 };
}

function applyLine(frame: { id?: string; event?: string; data: string[] }, line: string): void {
  if (line.startsWith(":")) return;
  const colon = line.indexOf(":");
  const field = colon < 0 ? line : line.slice(0, colon);
  let value = colon < 0 ? "" : line.slice(colon + 1);
  if (value.startsWith(" ")) value = value.slice(1);
  if (field === "data") frame.data.push(value);
  else if (field === "event") frame.event = value;
  else if (field === "id") frame.id = value;
}

function toFrame(frame: { id?: string; event?: string; data: string[] }): SSEFrame {
  const result: SSEFrame = { data: frame.data.join("\n") };
  if (frame.id !== undefined) result.id = frame.id;
  if (frame.event !== undefined) result.event = frame.event;
  return result;
}
