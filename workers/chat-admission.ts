/**
 * Admission by capacity for the answering routes (`POST /api/chat`, `POST /v1/chat/completions`,
 * `POST /v1/responses`): at most
 * MAX_CONCURRENT_CHATS answers run at once across the deployment; one more is refused before any work
 * starts with `503 overloaded` and a `Retry-After` (when the first running answer is expected to end),
 * instead of queueing in the engine until the model deadline fails it a minute later
 * (docs/BENCHMARKS.md, "Many chats at once"). 0 turns it off.
 *
 * The count lives in one Durable Object (`ChatAdmission`, SQLite): a lease per running answer, released
 * when its event stream ends (however it ends: finished, failed, cancelled, client gone; on
 * `/v1/chat/completions` and `/v1/responses` a client that goes away stops the answer, on `/api/chat` the answer runs on for a
 * resume and keeps its lease until it ends) and expiring
 * after LEASE_MS in case the worker holding it died. The object also keeps a moving average of how long
 * answers hold their lease, for the Retry-After estimate.
 */
import { DurableObject } from "cloudflare:workers";
import type { WorkerConfig } from "./config";
import type { Env } from "./env";
import { ApiError } from "./errors";

/** A lease not released within this long is dropped (its worker died). */
export const LEASE_MS = 5 * 60_000;
const FIRST_ESTIMATE_MS = 30_000;
const ADMISSION_INSTANCE = "chats";

export type AdmissionDecision = { admitted: true; leaseId: string } | { admitted: false; retryAfterSeconds: number; running: number };

export class ChatAdmission extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS leases (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value REAL NOT NULL);
    `);
  }

  /** Takes a lease when fewer than `capacity` are held; otherwise says when to retry. */
  acquire(capacity: number): AdmissionDecision {
    const now = Date.now();
    this.sql.exec("DELETE FROM leases WHERE expires_at <= ?", now);
    const held = this.sql.exec("SELECT started_at FROM leases ORDER BY started_at").toArray();
    if (held.length < capacity) {
      const leaseId = crypto.randomUUID();
      this.sql.exec("INSERT INTO leases (id, started_at, expires_at) VALUES (?, ?, ?)", leaseId, now, now + LEASE_MS);
      return { admitted: true, leaseId };
    }
    const typical = this.typicalHoldMs();
    const oldest = Number(held[0]?.started_at ?? now);
    const expectedFree = Math.max(0, oldest + typical - now);
    return { admitted: false, retryAfterSeconds: Math.min(60, Math.max(1, Math.ceil(expectedFree / 1000))), running: held.length };
  }

  /** Gives a lease back and learns how long it was held. */
  release(leaseId: string): void {
    const row = this.sql.exec("SELECT started_at FROM leases WHERE id = ?", leaseId).toArray()[0];
    if (!row) return;
    this.sql.exec("DELETE FROM leases WHERE id = ?", leaseId);
    const held = Date.now() - Number(row.started_at);
    const average = this.typicalHoldMs();
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('hold_ms', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      average === FIRST_ESTIMATE_MS && !this.hasEstimate() ? held : average * 0.8 + held * 0.2,
    );
  }

  /** Leases held now (tests and the health of the admission itself). */
  running(): number {
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM leases WHERE expires_at > ?", Date.now()).toArray()[0]?.n ?? 0);
  }

  private hasEstimate(): boolean {
    return this.sql.exec("SELECT 1 FROM meta WHERE key = 'hold_ms'").toArray().length > 0;
  }

  private typicalHoldMs(): number {
    const row = this.sql.exec("SELECT value FROM meta WHERE key = 'hold_ms'").toArray()[0];
    return row ? Number(row.value) : FIRST_ESTIMATE_MS;
  }
}

/** A held place among the running answers; `release` is safe to call more than once. */
export interface ChatLease {
  release(): void;
}

const NO_LEASE: ChatLease = { release: () => undefined };

/** Admits one answer or throws `503 overloaded` with Retry-After; a no-op lease when the limit is off. */
export async function admitChat(env: Env, config: WorkerConfig, waitUntil: (work: Promise<unknown>) => void): Promise<ChatLease> {
  const capacity = config.limits.maxConcurrentChats;
  if (capacity <= 0) return NO_LEASE;
  const admission = env.CHAT_ADMISSION.get(env.CHAT_ADMISSION.idFromName(ADMISSION_INSTANCE));
  const decision = await admission.acquire(capacity);
  if (!decision.admitted) {
    throw new ApiError("overloaded", `The service is answering ${decision.running} questions, its limit; try again in ${decision.retryAfterSeconds} s.`, {
      "Retry-After": String(decision.retryAfterSeconds),
    });
  }
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      waitUntil(admission.release(decision.leaseId));
    },
  };
}

/**
 * The same events, with the lease given back when their consumer stops, however it stops, or when `stopped`
 * aborts (the client went away, which stops the answer): a stream cancelled before it read its first event
 * never starts the generator, so its `finally` alone would keep the lease.
 */
export function holdingLease<T>(events: AsyncIterable<T>, lease: ChatLease, stopped?: AbortSignal): AsyncGenerator<T> {
  if (stopped?.aborted) lease.release();
  else stopped?.addEventListener("abort", () => lease.release(), { once: true });
  return releasingAtEnd(events, lease);
}

async function* releasingAtEnd<T>(events: AsyncIterable<T>, lease: ChatLease): AsyncGenerator<T> {
  try {
    yield* events;
  } finally {
    lease.release();
  }
}
