/**
 * The widget's HTTP client for the worker's widget endpoints (docs/api.md):
 * `POST /api/chat` (SSE of ChatEvents), `GET /api/chat/:id/stream` (resume)
 * and `GET /api/sessions/:id`. Every event is validated with the agent's own
 * `chatEventSchema`; a frame that fails validation ends the answer with a
 * protocol error instead of being guessed at. `fetch` is injected.
 */
import * as z from "zod/mini";
import { chatEventSchema, type ChatEvent } from "../../../agent/events";
import { readSSEFrames } from "../../../agent/sse-frames";
import type { Attachment } from "./attachments";

export interface ChatApiOptions {
  /** Origin the widget's script came from: the worker. */
  apiOrigin: string;
  siteKey: string;
  fetch: typeof fetch;
}

/** An HTTP or protocol failure, in the shape the UI shows. */
export class ChatApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "ChatApiError";
  }
}

const errorBodySchema = z.object({ error: z.object({ message: z.string(), code: z.string() }) });

const sessionSchema = z.object({
  id: z.string(),
  active: z.optional(z.boolean()),
  messages: z.array(
    z.object({
      role: z.enum(["user", "assistant", "system"]),
      content: z.string(),
      sources: z.optional(z.array(z.object({ index: z.number(), url: z.string(), title: z.string() }))),
      incomplete: z.optional(z.boolean()),
    }),
  ),
});
export type StoredSession = z.infer<typeof sessionSchema>;

export interface StreamHandlers {
  onSessionId(sessionId: string): void;
  onEvent(event: ChatEvent, eventId: string | undefined): void;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function failureFrom(response: Response): Promise<ChatApiError> {
  const body = errorBodySchema.safeParse(parseJson(await response.text()));
  const retryable = response.status === 429 || response.status === 409 || response.status >= 500;
  if (body.success) return new ChatApiError(body.data.error.message, body.data.error.code, retryable);
  return new ChatApiError(`The chat service answered ${response.status}.`, "http_error", retryable);
}

export function createChatApi(options: ChatApiOptions) {
  const url = (path: string) => new URL(path, options.apiOrigin).toString();
  const headers = { "x-site-key": options.siteKey };

  async function readStream(response: Response, handlers: StreamHandlers): Promise<void> {
    if (!response.ok) throw await failureFrom(response);
    const sessionId = response.headers.get("x-session-id");
    if (sessionId) handlers.onSessionId(sessionId);
    if (!response.body) throw new ChatApiError("The answer stream is empty.", "protocol_error", true);
    const body = response.body;
    let unreadable = false;
    for await (const frame of readSSEFrames(body)) {
      const event = chatEventSchema.safeParse(parseJson(frame.data));
      if (!event.success) {
        unreadable = true;
        break;
      }
      if (event.data.type === "start" && event.data.sessionId) handlers.onSessionId(event.data.sessionId);
      handlers.onEvent(event.data, frame.id);
    }
    if (unreadable) {
      // Leaving the loop released the stream's reader; cancelling stops the request too.
      await body.cancel();
      throw new ChatApiError("The answer stream sent an event this widget cannot read.", "protocol_error", true);
    }
  }

  return {
    /** Sends one user message and streams the answer's events. */
    async send(input: { sessionId: string | undefined; message: string; attachments: Attachment[]; signal: AbortSignal }, handlers: StreamHandlers) {
      const attachments = input.attachments.map(({ kind, mediaType, data }) => ({ kind, mediaType, data }));
      const response = await options.fetch(url("/api/chat"), {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ sessionId: input.sessionId, message: input.message, ...(attachments.length > 0 ? { attachments } : {}) }),
        signal: input.signal,
      });
      await readStream(response, handlers);
    },

    /** Resumes the session's latest answer after `lastEventId` (from its start when undefined). */
    async resume(input: { sessionId: string; lastEventId: string | undefined; signal: AbortSignal }, handlers: StreamHandlers) {
      const resumeHeaders: Record<string, string> = { ...headers, accept: "text/event-stream" };
      if (input.lastEventId) resumeHeaders["last-event-id"] = input.lastEventId;
      const response = await options.fetch(url(`/api/chat/${encodeURIComponent(input.sessionId)}/stream`), {
        headers: resumeHeaders,
        signal: input.signal,
      });
      await readStream(response, handlers);
    },

    /** Stops the session's answer on the server too, so the next question is not refused as "still answering". */
    async cancel(sessionId: string): Promise<void> {
      const response = await options.fetch(url(`/api/chat/${encodeURIComponent(sessionId)}/cancel`), {
        method: "POST",
        headers,
        keepalive: true,
      });
      if (!response.ok) throw await failureFrom(response);
    },

    /** The session's history, or undefined when the server no longer has it. */
    async loadSession(sessionId: string): Promise<StoredSession | undefined> {
      const response = await options.fetch(url(`/api/sessions/${encodeURIComponent(sessionId)}`), { headers });
      if (response.status === 404) return undefined;
      if (!response.ok) throw await failureFrom(response);
      const session = sessionSchema.safeParse(parseJson(await response.text()));
      if (!session.success) throw new ChatApiError("The saved conversation could not be read.", "protocol_error", true);
      return session.data;
    },
  };
}

export type ChatApi = ReturnType<typeof createChatApi>;
