/**
 * Reads the worker's event stream (`POST /api/chat`) back into ChatEvents:
 * for clients and tests. Every frame is checked against the same zod schema
 * the agent's events are defined with, and its `event:` name against the
 * event's type. The frames are written by workers/sse-stream.ts.
 */
import { chatEventSchema, type ChatEvent } from "./events";
import { safeParseJSON } from "./json";
import { readSSEFrames } from "./sse-frames";

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
