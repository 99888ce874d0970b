/**
 * The widget's native endpoints: `POST /api/chat` streams the agent's full
 * event union as SSE while recording it in the session's Durable Object, and
 * `GET /api/chat/:sessionId/stream` resumes that stream after a reconnect
 * (Last-Event-ID). Each event is one frame (`id`, `event`, `data`), written by
 * workers/sse-stream.ts, which also guarantees the final `finish`.
 * Attachments (ATTACHMENTS) go to the agent with this message only: the
 * session stores the text, so a later turn does not resend the media. The Sonar search filter
 * fields apply to this turn, inside a site key's own default filter.
 */
import { Hono } from "hono";
import { z } from "zod";
import { AsyncQueue } from "../../agent/async-queue";
import { chatEventSchema, type ChatEvent } from "../../agent/events";
import { createAgentRunner } from "../agent-deps";
import type { ApiEnv } from "../api-context";
import { attachmentListSchema, chatBodyLimit, requireAllowed } from "../attachments";
import { admitChat, holdingLease } from "../chat-admission";
import { ApiError } from "../errors";
import { describeError, type Logger } from "../log";
import { sessionKey } from "../pool/affinity-key";
import { requestSearchFilter, sonarFilter } from "../request-filter";
import { readJsonBody } from "../request-body";
import { domainFilterListSchema, recencySchema } from "../search-filter-schema";
import type { ReadEventsResult } from "../sessions/chat-session";
import { checkSessionId, SESSION_ID, sessionStub } from "../sessions/session-stub";
import { readSearchField, resolveSiteScope, searchFieldSchema } from "../sites/site-scope";
import { TurnRecorder } from "../sessions/turn-recorder";
import { failureEvents, jsonFrame, sseResponse, withFinish } from "../sse-stream";

/** How long one resume poll waits in the Durable Object for new events. */
const RESUME_WAIT_MS = 20_000;

const chatRequestSchema = (maxChars: number, maxAttachmentBytes: number) =>
  z.object({
    sessionId: z.string().regex(SESSION_ID, "expected 8-128 characters of A-Z, a-z, 0-9, _ and -").optional(),
    message: z
      .string()
      .max(maxChars)
      .refine((m) => m.trim().length > 0, "must not be empty"),
    search: searchFieldSchema.optional(),
    attachments: attachmentListSchema(maxAttachmentBytes).optional(),
    search_domain_filter: domainFilterListSchema.optional(),
    search_recency_filter: recencySchema.optional(),
  });

export const chatRoutes = new Hono<ApiEnv>();

/** The frames of an answer's events, numbered from `firstId` (a resumed stream continues the numbering). */
async function* eventFrames(events: AsyncIterable<ChatEvent>, firstId: number): AsyncGenerator<string> {
  let id = firstId;
  for await (const event of events) {
    yield jsonFrame(event, { id, event: event.type });
    id += 1;
  }
}

chatRoutes.post("/api/chat", async (c) => {
  const config = c.get("config");
  const log = c.get("log");
  const schema = chatRequestSchema(config.limits.maxMessageChars, config.attachments.maxBytes);
  const body = await readJsonBody(c, schema, chatBodyLimit(config.limits.maxBodyBytes, config.attachments));
  const attachments = body.attachments ?? [];
  requireAllowed(attachments, config.attachments);
  const searchFilter = requestSearchFilter(config, c.get("principal"), sonarFilter(body), "search_domain_filter");
  const search = readSearchField(body.search);
  const siteIds = await resolveSiteScope(c.env, config, c.get("principal"), search.sites);
  const sessionId = body.sessionId ?? crypto.randomUUID();
  const session = sessionStub(c.env, c.get("principal"), sessionId);
  const lease = await admitChat(c.env, config, (work) => c.executionCtx.waitUntil(work));
  const turn = await session.beginTurn(body.message, config.sessionTtlMs).catch((error: unknown) => {
    lease.release();
    throw error;
  });
  if (!turn.ok) {
    lease.release();
    throw new ApiError("turn_in_progress", "This session is still answering; resume it with GET /api/chat/:sessionId/stream.");
  }

  const run = createAgentRunner(
    c.env,
    config,
    new URL(c.req.url).origin,
    c.get("log"),
    { key: sessionKey(sessionId), waitUntil: (promise) => c.executionCtx.waitUntil(promise) },
    siteIds ? { siteIds } : {},
  );
  // Aborted when the session cancels the turn (POST /api/chat/:sessionId/cancel), not when the client leaves.
  const cancel = new AbortController();
  const events = holdingLease(
    run({
      messages: [
        ...turn.history.map((m) => ({ role: m.role, content: m.content })),
        { role: "user", content: body.message, ...(attachments.length > 0 ? { attachments } : {}) },
      ],
      ...(search.mode ? { search: search.mode } : {}),
      ...(searchFilter ? { searchFilter } : {}),
      signal: cancel.signal,
    }),
    lease,
  );
  const live = new AsyncQueue<ChatEvent>();
  const recorder = new TurnRecorder(
    session,
    turn.turnId,
    turn,
    (err) => log.error("recording the turn failed", describeError(err)),
    () => cancel.abort(new Error("turn cancelled")),
  );
  // The answer runs to its end even when the client goes away, so a reconnect can resume it.
  c.executionCtx.waitUntil(pumpTurn(events, sessionId, recorder, live, log));
  return sseResponse(eventFrames(live, turn.firstEventId), { keepAliveMs: config.keepAliveMs, headers: { "x-session-id": sessionId } });
});

async function pumpTurn(events: AsyncIterable<ChatEvent>, sessionId: string, recorder: TurnRecorder, live: AsyncQueue<ChatEvent>, log: Logger): Promise<void> {
  // An id is streamed only once the session has reserved it, so a later turn never reuses it; false: the
  // turn is over (cancelled) and can have no more ids, so nothing more is streamed.
  const forward = async (event: ChatEvent): Promise<boolean> => {
    if (!(await recorder.reserve())) return false;
    recorder.add(event);
    live.push(event);
    return true;
  };
  try {
    for await (const event of withFinish(events, (err) => log.error("answer failed", describeError(err)))) {
      if (!(await forward(event.type === "start" ? { ...event, sessionId } : event))) return;
    }
  } finally {
    live.close();
    await recorder.finish();
  }
}

chatRoutes.post("/api/chat/:sessionId/cancel", async (c) => {
  const sessionId = checkSessionId(c.req.param("sessionId"));
  const cancelled = await sessionStub(c.env, c.get("principal"), sessionId).cancelTurn();
  return c.json({ sessionId, cancelled });
});

/** Recorded events were written by this worker; a row that fails the schema is a bug, not input. */
function parseRecordedEvent(data: string): ChatEvent {
  return chatEventSchema.parse(JSON.parse(data));
}

function lastEventId(header: string | undefined, query: string | undefined): number {
  const raw = header ?? query;
  if (raw === undefined || raw.trim() === "") return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ApiError("invalid_body", "Last-Event-ID must be a non-negative integer.");
  return n;
}

chatRoutes.get("/api/chat/:sessionId/stream", async (c) => {
  const sessionId = checkSessionId(c.req.param("sessionId"));
  const session = sessionStub(c.env, c.get("principal"), sessionId);
  const after = lastEventId(c.req.header("last-event-id"), c.req.query("lastEventId"));
  const first = await session.readEvents(after, 0);
  if (!first) throw new ApiError("session_not_found", "This session has no answer to resume.");

  async function* replay(): AsyncGenerator<ChatEvent> {
    let batch: ReadEventsResult | undefined = first;
    let cursor = after;
    while (batch) {
      for (const { id, data } of batch.events) {
        cursor = id;
        yield parseRecordedEvent(data);
      }
      if (batch.done) {
        if (batch.interrupted) yield* failureEvents("interrupted", "The answer was interrupted.", "aborted");
        else if (batch.cancelled) yield { type: "finish", reason: "aborted", usage: { promptTokens: 0, completionTokens: 0 } };
        return;
      }
      batch = await session.readEvents(cursor, RESUME_WAIT_MS);
    }
  }
  const config = c.get("config");
  const log = c.get("log");
  const events = withFinish(replay(), (err) => log.error("resuming the answer failed", describeError(err)));
  return sseResponse(eventFrames(events, first.nextId - first.events.length), { keepAliveMs: config.keepAliveMs, headers: { "x-session-id": sessionId } });
});
