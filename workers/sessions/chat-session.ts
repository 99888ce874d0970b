/**
 * One conversation as a SQLite-backed Durable Object, named by the client's
 * session id (scoped by credential). It records each turn (user message,
 * assistant answer with its sources) and buffers the events of the answer in
 * progress so a reconnecting client can resume from its Last-Event-ID.
 *
 * Event ids are integers increasing over the whole session and never reused:
 * the worker streams an event before it is stored, so ids are reserved ahead
 * (EVENT_ID_BLOCK at a time, extended by every append) and a new turn starts
 * after everything reserved, even when the previous turn was cancelled or its
 * worker died with streamed events unsaved. Ids are not contiguous between
 * turns. Only the latest turn's events are kept. An answer that ended in an
 * error keeps its partial text marked `incomplete`, and is left out of the
 * history a new turn is built from. A turn with no activity for STALE_TURN_MS (its
 * worker died) no longer blocks a new one. A session forgets itself
 * (alarm) when no turn has started for its time-to-live.
 *
 * A stored `/v1/responses` answer is one of these objects too (named apart
 * from sessions, see session-stub.ts): `saveResponse` writes the whole
 * conversation up to and including that response plus the response object,
 * so `previous_response_id` can continue from any stored response.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../env";

export const STALE_TURN_MS = 120_000;
/** Messages kept per session; the agent only sends a token-budgeted window of them anyway. */
export const MAX_STORED_MESSAGES = 200;
/** Event ids reserved ahead of the ones stored: a turn may stream this many before its next append lands. */
export const EVENT_ID_BLOCK = 1024;

export interface SessionSource {
  index: number;
  url: string;
  title: string;
}

export interface SessionMessage {
  role: "user" | "assistant";
  content: string;
  sources?: SessionSource[];
  /** The answer ended in an error (or was cut off): its text is partial and no context for later turns. */
  incomplete?: true;
  createdAt: string;
}

/** What a finished turn leaves: the answer's text and sources, and whether it ended in an error. */
export interface TurnAnswer {
  content: string;
  sources: SessionSource[];
  incomplete?: boolean;
}

/**
 * One recorded event: `data` is the ChatEvent's JSON, kept as text across the
 * RPC boundary (the reader validates it with the event schema).
 */
export interface RecordedEvent {
  id: number;
  data: string;
}

/**
 * `history`: the complete messages before this turn (incomplete answers left out), what the agent's
 * context is built from. `reservedUntil`: the first event id not yet reserved for this turn.
 */
export type BeginTurnResult =
  | { ok: true; turnId: string; firstEventId: number; reservedUntil: number; history: SessionMessage[] }
  | { ok: false; reason: "turn-in-progress" };

export interface ReadEventsResult {
  events: RecordedEvent[];
  /** The id the next event would get: where a resumed stream's ids continue. */
  nextId: number;
  /** The turn is over and every event after `afterId` is in `events`. */
  done: boolean;
  /** The turn ended without finishing (its worker went away). */
  interrupted: boolean;
  /** The turn was stopped by the client (POST /api/chat/:sessionId/cancel). */
  cancelled: boolean;
}

const sourcesSchema = z.array(z.object({ index: z.number().int(), url: z.string(), title: z.string() }));
const roleSchema = z.enum(["user", "assistant"]);

export class ChatSession extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly waiters = new Set<() => void>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.migrate();
  }

  private migrate(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        role TEXT NOT NULL, content TEXT NOT NULL, sources TEXT, created_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS turns (
        id TEXT PRIMARY KEY, status TEXT NOT NULL, first_event_id INTEGER NOT NULL,
        started_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, turn_id TEXT NOT NULL, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS stored_response (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL);
    `);
    // Sessions stored before answers could be incomplete lack the column.
    if (!this.sql.exec("SELECT name FROM pragma_table_info('messages') WHERE name = 'incomplete'").toArray().length)
      this.sql.exec("ALTER TABLE messages ADD COLUMN incomplete INTEGER NOT NULL DEFAULT 0");
  }

  /** The conversation so far; `exists` is false for a session never written (or deleted). */
  history(): { exists: boolean; active: boolean; messages: SessionMessage[] } {
    const messages = this.readMessages();
    const active = this.activeTurn(Date.now()) !== undefined;
    return { exists: messages.length > 0 || active, active, messages };
  }

  /**
   * Starts a turn: returns the history before it, then records the user's
   * message. Refuses while another turn is live. `ttlMs` (0: keep forever)
   * pushes the session's expiry to that long after this turn.
   */
  async beginTurn(userMessage: string, ttlMs = 0): Promise<BeginTurnResult> {
    const now = Date.now();
    if (this.activeTurn(now)) return { ok: false, reason: "turn-in-progress" };
    if (ttlMs > 0) await this.ctx.storage.setAlarm(now + ttlMs);
    else await this.ctx.storage.deleteAlarm();
    const history = this.readMessages().filter((message) => !message.incomplete);
    const turnId = crypto.randomUUID();
    const firstEventId = this.nextEventId();
    const reservedUntil = firstEventId + EVENT_ID_BLOCK;
    this.ctx.storage.transactionSync(() => {
      this.reserveUntil(reservedUntil);
      this.sql.exec("UPDATE turns SET status = 'abandoned' WHERE status = 'active'");
      this.sql.exec("DELETE FROM events");
      this.sql.exec("DELETE FROM turns WHERE status != 'active'");
      this.sql.exec("INSERT INTO turns (id, status, first_event_id, started_at, updated_at) VALUES (?, 'active', ?, ?, ?)", turnId, firstEventId, now, now);
      this.sql.exec("INSERT INTO messages (role, content, sources, created_at) VALUES ('user', ?, NULL, ?)", userMessage, now);
    });
    return { ok: true, turnId, firstEventId, reservedUntil, history };
  }

  /**
   * Records events of `turnId` in order; ids must continue the turn's sequence.
   * Returns false when the turn is no longer live (cancelled or superseded), so
   * the worker running it stops; otherwise the first event id not reserved for
   * the turn, which every append moves to EVENT_ID_BLOCK past its last event.
   */
  appendEvents(turnId: string, events: RecordedEvent[]): number | false {
    if (!this.isTurn(turnId)) return false;
    const last = events[events.length - 1]?.id ?? 0;
    this.ctx.storage.transactionSync(() => {
      for (const { id, data } of events) {
        this.sql.exec("INSERT OR IGNORE INTO events (id, turn_id, data) VALUES (?, ?, ?)", id, turnId, data);
      }
      this.reserveUntil(last + 1 + EVENT_ID_BLOCK);
      this.sql.exec("UPDATE turns SET updated_at = ? WHERE id = ?", Date.now(), turnId);
    });
    if (events.length > 0) this.wake();
    return this.nextEventId();
  }

  /**
   * Stops the live answer (the widget's Stop button): the turn ends at once, so
   * the session takes a new message, and the worker still running it learns on
   * its next append and aborts the agent. What it had streamed is not kept as
   * an answer. Returns false when no answer was running.
   */
  cancelTurn(): boolean {
    const turnId = this.activeTurn(Date.now());
    if (turnId === undefined) return false;
    this.sql.exec("UPDATE turns SET status = 'cancelled', updated_at = ? WHERE id = ?", Date.now(), turnId);
    this.wake();
    return true;
  }

  /**
   * Ends `turnId`: stores the assistant's answer (if any text; marked incomplete
   * when it ended in an error) and releases waiting readers.
   */
  finishTurn(turnId: string, answer: TurnAnswer): void {
    if (!this.isTurn(turnId)) return;
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("UPDATE turns SET status = 'done', updated_at = ? WHERE id = ?", now, turnId);
      if (answer.content.length > 0 || answer.sources.length > 0) {
        this.sql.exec(
          "INSERT INTO messages (role, content, sources, incomplete, created_at) VALUES ('assistant', ?, ?, ?, ?)",
          answer.content,
          JSON.stringify(answer.sources),
          answer.incomplete ? 1 : 0,
          now,
        );
      }
      this.sql.exec("DELETE FROM messages WHERE seq <= (SELECT MAX(seq) FROM messages) - ?", MAX_STORED_MESSAGES);
    });
    this.wake();
  }

  /**
   * Events of the latest turn with id > `afterId`. When there are none yet and
   * the turn is live, waits up to `waitMs` for more. Undefined: no turn at all.
   */
  async readEvents(afterId: number, waitMs: number): Promise<ReadEventsResult | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const turn = this.latestTurn();
      if (!turn) return undefined;
      const events = this.eventsAfter(afterId);
      const stale = turn.status === "active" && turn.updatedAt < Date.now() - STALE_TURN_MS;
      const done = turn.status !== "active" || stale;
      if (events.length > 0 || done || Date.now() >= deadline) {
        const lastId = events[events.length - 1]?.id ?? Math.max(afterId, turn.firstEventId - 1);
        return { events, nextId: lastId + 1, done, interrupted: stale || turn.status === "abandoned", cancelled: turn.status === "cancelled" };
      }
      await this.waitForChange(deadline - Date.now());
    }
  }

  /**
   * Stores a finished `/v1/responses` answer: the conversation that led to it
   * (its last message the answer) and the response object as JSON, replacing
   * anything stored before. `ttlMs` (0: keep forever) sets when it is forgotten.
   */
  async saveResponse(record: { messages: Omit<SessionMessage, "createdAt">[]; response: string }, ttlMs = 0): Promise<void> {
    const now = Date.now();
    if (ttlMs > 0) await this.ctx.storage.setAlarm(now + ttlMs);
    else await this.ctx.storage.deleteAlarm();
    const kept = record.messages.slice(-MAX_STORED_MESSAGES);
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM messages");
      for (const message of kept) {
        const sources = message.sources ? JSON.stringify(message.sources) : null;
        this.sql.exec("INSERT INTO messages (role, content, sources, created_at) VALUES (?, ?, ?, ?)", message.role, message.content, sources, now);
      }
      this.sql.exec("INSERT INTO stored_response (id, body) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body", record.response);
    });
  }

  /** The stored `/v1/responses` answer and its conversation; undefined when none is stored. */
  loadResponse(): { messages: SessionMessage[]; response: string } | undefined {
    const row = this.sql.exec("SELECT body FROM stored_response WHERE id = 1").toArray()[0];
    return row ? { messages: this.readMessages(), response: String(row.body) } : undefined;
  }

  /** The time-to-live ran out: forget the session, unless an answer is still being written. */
  override async alarm(): Promise<void> {
    if (this.activeTurn(Date.now())) {
      await this.ctx.storage.setAlarm(Date.now() + STALE_TURN_MS);
      return;
    }
    await this.clear();
  }

  /** Forgets everything. A turn still streaming stops being recorded. */
  async clear(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.migrate();
    this.wake();
  }

  private readMessages(): SessionMessage[] {
    const rows = this.sql.exec("SELECT role, content, sources, incomplete, created_at FROM messages ORDER BY seq").toArray();
    return rows.map((row) => {
      const message: SessionMessage = {
        role: roleSchema.parse(row.role),
        content: String(row.content),
        createdAt: new Date(Number(row.created_at)).toISOString(),
      };
      if (typeof row.sources === "string") message.sources = sourcesSchema.parse(JSON.parse(row.sources));
      if (Number(row.incomplete) === 1) message.incomplete = true;
      return message;
    });
  }

  private eventsAfter(afterId: number): RecordedEvent[] {
    return this.sql
      .exec("SELECT id, data FROM events WHERE id > ? ORDER BY id", afterId)
      .toArray()
      .map((row) => ({ id: Number(row.id), data: String(row.data) }));
  }

  private latestTurn(): { id: string; status: string; firstEventId: number; updatedAt: number } | undefined {
    const row = this.sql.exec("SELECT id, status, first_event_id, updated_at FROM turns ORDER BY started_at DESC LIMIT 1").toArray()[0];
    return row ? { id: String(row.id), status: String(row.status), firstEventId: Number(row.first_event_id), updatedAt: Number(row.updated_at) } : undefined;
  }

  private activeTurn(now: number): string | undefined {
    const turn = this.latestTurn();
    return turn && turn.status === "active" && turn.updatedAt >= now - STALE_TURN_MS ? turn.id : undefined;
  }

  private isTurn(turnId: string): boolean {
    return this.sql.exec("SELECT 1 FROM turns WHERE id = ? AND status = 'active'", turnId).toArray().length > 0;
  }

  /** The first event id not reserved by any turn so far: where the next turn starts. */
  private nextEventId(): number {
    const row = this.sql.exec("SELECT value FROM meta WHERE key = 'next_event_id'").toArray()[0];
    return row ? Number(row.value) : 1;
  }

  private reserveUntil(id: number): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES ('next_event_id', ?) ON CONFLICT(key) DO UPDATE SET value = MAX(value, excluded.value)", id);
  }

  private waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
