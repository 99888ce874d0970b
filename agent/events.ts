/**
 * The one event union the agent emits, defined once with zod. The worker's
 * `/api/chat` SSE stream, the OpenAI-compatible adapter, the widget and the
 * cron digests all consume these events; `workers/sse-stream.ts` is the only
 * place that writes them as frames (`agent/event-stream.ts` reads them back).
 */
import { z } from "zod";

/** Source and citation URLs are http(s) only: they become links in every client. */
const HTTP_URL = /^https?:\/\/[^\s]+$/i;
const httpUrl = () => z.string().regex(HTTP_URL, "must be an http(s) URL");

export const chatEventSchema = z.discriminatedUnion("type", [
  /** First event of every answer. */
  z.object({
    type: z.literal("start"),
    id: z.string(),
    model: z.string(),
    created: z.number().int(),
    sessionId: z.string().optional(),
  }),
  /** The model decided to call a tool (Megrez `<|function_start|>` format). */
  z.object({
    type: z.literal("tool-call"),
    name: z.string(),
    arguments: z.record(z.string(), z.unknown()),
  }),
  z.object({ type: z.literal("search-start"), query: z.string(), round: z.number().int().nonnegative() }),
  z.object({ type: z.literal("search-end"), query: z.string(), resultCount: z.number().int().nonnegative() }),
  /** A citable source, numbered 1-based by search rank. */
  z.object({
    type: z.literal("source"),
    index: z.number().int().positive(),
    url: httpUrl(),
    title: z.string(),
    snippet: z.string(),
    domain: z.string(),
    /** Publication date as the search provider gave it (ISO or free text), when it gave one. */
    date: z.string().optional(),
  }),
  /**
   * A page finished reading: summarized, failed (snippet used), or judged irrelevant.
   * `excerpt`: fetched but not summarized by the read deadline, so an excerpt of its text is cited.
   */
  z.object({
    type: z.literal("page-read"),
    index: z.number().int().positive(),
    outcome: z.enum(["summarized", "snippet", "irrelevant", "failed", "excerpt"]),
    reason: z.string().optional(),
    done: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
  }),
  /** Coarse progress for UIs: "Searching…", "Reading 3 of 5 pages", "Writing the answer". */
  z.object({
    type: z.literal("status"),
    stage: z.enum(["thinking", "searching", "reading", "writing"]),
    done: z.number().int().nonnegative().optional(),
    total: z.number().int().nonnegative().optional(),
  }),
  /** Answer text; citations already rewritten to `[n]`. */
  z.object({ type: z.literal("text-delta"), delta: z.string() }),
  /** A validated citation of source `index` placed in the answer at [start, end). */
  z.object({
    type: z.literal("citation"),
    index: z.number().int().positive(),
    url: httpUrl(),
    title: z.string(),
    start: z.number().int().nonnegative(),
    end: z.number().int().nonnegative(),
  }),
  /** The model cited a source that does not exist (removed from the text). */
  z.object({ type: z.literal("citation-dropped"), cited: z.number().int(), reason: z.string() }),
  /**
   * A failure that the agent recovered from or that ends the answer. Public message only.
   * `retryAfter`: seconds to wait before retrying (a busy model). `param`: the request
   * field at fault (`messages`, `max_tokens`) when the request itself cannot be answered.
   */
  z.object({
    type: z.literal("error"),
    code: z.string(),
    message: z.string(),
    retryable: z.boolean(),
    retryAfter: z.number().int().nonnegative().optional(),
    param: z.string().optional(),
  }),
  /**
   * Last event of every answer. `usage`: the model call that wrote the answer (its prompt
   * and its generated tokens). `turnUsage`: every model call of the turn added up (search
   * decision, page summaries, answer), with their number.
   */
  z.object({
    type: z.literal("finish"),
    reason: z.enum(["stop", "length", "error", "aborted"]),
    usage: z.object({
      promptTokens: z.number().int().nonnegative(),
      completionTokens: z.number().int().nonnegative(),
    }),
    turnUsage: z
      .object({
        promptTokens: z.number().int().nonnegative(),
        completionTokens: z.number().int().nonnegative(),
        modelCalls: z.number().int().nonnegative(),
      })
      .optional(),
  }),
]);

export type ChatEvent = z.infer<typeof chatEventSchema>;
export type ChatEventType = ChatEvent["type"];
export type ChatEventOf<T extends ChatEventType> = Extract<ChatEvent, { type: T }>;
