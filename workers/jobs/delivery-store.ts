/**
 * The webhook-delivery tables of one JobRunner object: one delivery per
 * (run, webhook) with its signed payload and secret (they never leave the
 * object), and every attempt with its HTTP status or error, so the API can
 * show exactly what happened. Rows are validated with zod on the way out.
 */
import { z } from "zod";
import { webhookEvents, type WebhookEvent } from "./webhook";

export const deliveryStatuses = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

export interface DeliveryAttempt {
  attempt: number;
  at: number;
  httpStatus: number | null;
  error: string | null;
  durationMs: number;
}

export interface Delivery {
  id: string;
  runId: string;
  event: WebhookEvent;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastError: string | null;
  attemptLog: DeliveryAttempt[];
}

/** A delivery with what is needed to send it (never leaves the object). */
export interface PendingDelivery {
  id: string;
  runId: string;
  url: string;
  secret: string;
  event: WebhookEvent;
  payload: string;
  attempts: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  event TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_attempt_at);
CREATE TABLE IF NOT EXISTS delivery_attempts (
  delivery_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  at INTEGER NOT NULL,
  http_status INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL,
  PRIMARY KEY (delivery_id, attempt)
);
`;

const deliveryRow = z.object({
  id: z.string(),
  run_id: z.string(),
  url: z.string(),
  secret: z.string(),
  event: z.enum(webhookEvents),
  payload: z.string(),
  status: z.enum(deliveryStatuses),
  attempts: z.number(),
  next_attempt_at: z.number().nullable(),
  last_error: z.string().nullable(),
});

const deliveryAttemptRow = z.object({
  attempt: z.number(),
  at: z.number(),
  http_status: z.number().nullable(),
  error: z.string().nullable(),
  duration_ms: z.number(),
});

export class DeliveryStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  add(input: { id: string; runId: string; url: string; secret: string; event: WebhookEvent; payload: string; now: number }): void {
    this.sql.exec(
      "INSERT INTO deliveries (id, run_id, url, secret, event, payload, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
      input.id,
      input.runId,
      input.url,
      input.secret,
      input.event,
      input.payload,
      input.now,
      input.now,
    );
  }

  due(now: number): PendingDelivery[] {
    return this.sql
      .exec("SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY created_at", now)
      .toArray()
      .map((raw) => {
        const r = deliveryRow.parse(raw);
        return { id: r.id, runId: r.run_id, url: r.url, secret: r.secret, event: r.event, payload: r.payload, attempts: r.attempts };
      });
  }

  /** Records one delivery attempt and moves the delivery on: delivered, retry at `retryAt`, or failed. */
  record(id: string, attempt: DeliveryAttempt, next: { status: "delivered" } | { status: "pending"; retryAt: number } | { status: "failed" }): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO delivery_attempts (delivery_id, attempt, at, http_status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)",
      id,
      attempt.attempt,
      attempt.at,
      attempt.httpStatus,
      attempt.error,
      attempt.durationMs,
    );
    this.sql.exec(
      "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
      next.status,
      attempt.attempt,
      next.status === "pending" ? next.retryAt : null,
      attempt.error,
      id,
    );
  }

  ofRun(runId: string): Delivery[] {
    return this.sql
      .exec("SELECT * FROM deliveries WHERE run_id = ? ORDER BY created_at", runId)
      .toArray()
      .map((raw) => {
        const r = deliveryRow.parse(raw);
        const log = this.sql
          .exec("SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt", r.id)
          .toArray()
          .map((a) => {
            const p = deliveryAttemptRow.parse(a);
            return { attempt: p.attempt, at: p.at, httpStatus: p.http_status, error: p.error, durationMs: p.duration_ms };
          });
        return {
          id: r.id,
          runId: r.run_id,
          event: r.event,
          url: r.url,
          status: r.status,
          attempts: r.attempts,
          nextAttemptAt: r.next_attempt_at,
          lastError: r.last_error,
          attemptLog: log,
        };
      });
  }

  /** Earliest due attempt, or null when nothing is pending. */
  nextWakeAt(): number | null {
    const row = this.sql.exec("SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE status = 'pending'").one();
    return z.number().nullable().parse(row.t);
  }

  hasPending(runId: string): boolean {
    return this.sql.exec("SELECT 1 FROM deliveries WHERE run_id = ? AND status = 'pending' LIMIT 1", runId).toArray().length > 0;
  }

  deleteForRun(runId: string): void {
    this.sql.exec("DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE run_id = ?)", runId);
    this.sql.exec("DELETE FROM deliveries WHERE run_id = ?", runId);
  }
}
