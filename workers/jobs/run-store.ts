/**
 * The SQLite tables of one JobRunner object: its runs (one per slot, which is
 * what makes enqueueing idempotent), every attempt of each run, and webhook
 * deliveries with their attempts. Plain data in and out; rows are validated
 * with zod on the way out.
 */
import { z } from "zod";
import { jobSpecSchema, type JobSpec } from "./job-spec";
import { safeParseJson } from "./json";

export const runStatuses = ["queued", "running", "retrying", "succeeded", "failed"] as const;
export type RunStatus = (typeof runStatuses)[number];
export const deliveryStatuses = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

export interface DigestSourceRecord {
  index: number;
  url: string;
  title: string;
  domain: string;
}

export interface StoredDigest {
  title: string;
  markdown: string;
  body: string;
  sources: DigestSourceRecord[];
  cited: number[];
  dropped: number[];
}

export interface RunAttempt {
  attempt: number;
  startedAt: number;
  finishedAt: number | null;
  outcome: "succeeded" | "failed" | "running";
  errorCode: string | null;
  errorMessage: string | null;
}

export interface Run {
  id: string;
  jobId: string;
  slot: number;
  status: RunStatus;
  attempts: number;
  nextAttemptAt: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: { code: string; message: string } | null;
  /** Present when the run succeeded and the job stores digests. */
  digest: StoredDigest | null;
  spec: JobSpec;
  origin: string;
}

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
  url: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastError: string | null;
  attemptLog: DeliveryAttempt[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  slot INTEGER NOT NULL UNIQUE,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  error_code TEXT,
  error_message TEXT,
  digest TEXT,
  spec TEXT NOT NULL,
  origin TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_due ON runs(status, next_attempt_at);
CREATE TABLE IF NOT EXISTS run_attempts (
  run_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  outcome TEXT NOT NULL,
  error_code TEXT,
  error_message TEXT,
  PRIMARY KEY (run_id, attempt)
);
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
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

const runRow = z.object({
  id: z.string(),
  job_id: z.string(),
  slot: z.number(),
  status: z.enum(runStatuses),
  attempts: z.number(),
  next_attempt_at: z.number().nullable(),
  created_at: z.number(),
  started_at: z.number().nullable(),
  finished_at: z.number().nullable(),
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  digest: z.string().nullable(),
  spec: z.string(),
  origin: z.string(),
});

const digestSchema = z.object({
  title: z.string(),
  markdown: z.string(),
  body: z.string(),
  sources: z.array(z.object({ index: z.number(), url: z.string(), title: z.string(), domain: z.string() })),
  cited: z.array(z.number()),
  dropped: z.array(z.number()),
});

const attemptRow = z.object({
  attempt: z.number(),
  started_at: z.number(),
  finished_at: z.number().nullable(),
  outcome: z.enum(["succeeded", "failed", "running"]),
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
});

const deliveryRow = z.object({
  id: z.string(),
  run_id: z.string(),
  url: z.string(),
  secret: z.string(),
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

/** A delivery with what is needed to send it (never leaves the object). */
export interface PendingDelivery {
  id: string;
  runId: string;
  url: string;
  secret: string;
  payload: string;
  attempts: number;
}

export class RunStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  /** Inserts the run for `slot` unless it exists: `created` tells which. */
  enqueue(input: { id: string; jobId: string; slot: number; spec: JobSpec; origin: string; now: number }): { run: Run; created: boolean } {
    const cursor = this.sql.exec(
      "INSERT INTO runs (id, job_id, slot, status, attempts, next_attempt_at, created_at, spec, origin) VALUES (?, ?, ?, 'queued', 0, ?, ?, ?, ?) ON CONFLICT(slot) DO NOTHING",
      input.id, input.jobId, input.slot, input.now, input.now, JSON.stringify(input.spec), input.origin,
    );
    const created = cursor.rowsWritten > 0;
    const run = this.runBySlot(input.slot);
    if (!run) throw new Error(`run for slot ${input.slot} missing after insert`);
    return { run, created };
  }

  /** Runs to work on now: due queued/retrying runs, and runs stuck in `running` since before `staleBefore`. */
  dueRuns(now: number, staleBefore: number): Run[] {
    return this.sql
      .exec(
        `SELECT * FROM runs WHERE (status IN ('queued', 'retrying') AND next_attempt_at <= ?)
           OR (status = 'running' AND started_at < ?) ORDER BY slot`,
        now, staleBefore,
      )
      .toArray()
      .map(toRun);
  }

  startAttempt(runId: string, now: number): number {
    const attempt = this.sql
      .exec("UPDATE runs SET status = 'running', attempts = attempts + 1, started_at = ?, next_attempt_at = NULL WHERE id = ? RETURNING attempts", now, runId)
      .one().attempts;
    const n = z.number().parse(attempt);
    this.sql.exec("INSERT OR REPLACE INTO run_attempts (run_id, attempt, started_at, outcome) VALUES (?, ?, ?, 'running')", runId, n, now);
    return n;
  }

  succeed(runId: string, attempt: number, digest: StoredDigest | null, now: number): void {
    this.sql.exec(
      "UPDATE runs SET status = 'succeeded', finished_at = ?, digest = ?, error_code = NULL, error_message = NULL WHERE id = ?",
      now, digest ? JSON.stringify(digest) : null, runId,
    );
    this.sql.exec("UPDATE run_attempts SET finished_at = ?, outcome = 'succeeded' WHERE run_id = ? AND attempt = ?", now, runId, attempt);
  }

  /** Records a failed attempt; `retryAt` null makes the failure final. */
  fail(runId: string, attempt: number, error: { code: string; message: string }, retryAt: number | null, now: number): void {
    this.sql.exec(
      "UPDATE run_attempts SET finished_at = ?, outcome = 'failed', error_code = ?, error_message = ? WHERE run_id = ? AND attempt = ?",
      now, error.code, error.message, runId, attempt,
    );
    this.sql.exec(
      "UPDATE runs SET status = ?, next_attempt_at = ?, finished_at = ?, error_code = ?, error_message = ? WHERE id = ?",
      retryAt === null ? "failed" : "retrying", retryAt, retryAt === null ? now : null, error.code, error.message, runId,
    );
  }

  getRun(runId: string): Run | null {
    const row = this.sql.exec("SELECT * FROM runs WHERE id = ?", runId).toArray()[0];
    return row ? toRun(row) : null;
  }

  runBySlot(slot: number): Run | null {
    const row = this.sql.exec("SELECT * FROM runs WHERE slot = ?", slot).toArray()[0];
    return row ? toRun(row) : null;
  }

  listRuns(limit: number): Run[] {
    return this.sql.exec("SELECT * FROM runs ORDER BY slot DESC LIMIT ?", limit).toArray().map(toRun);
  }

  latestWithDigest(limit: number): Run[] {
    return this.sql
      .exec("SELECT * FROM runs WHERE status = 'succeeded' AND digest IS NOT NULL ORDER BY slot DESC LIMIT ?", limit)
      .toArray()
      .map(toRun);
  }

  attempts(runId: string): RunAttempt[] {
    return this.sql
      .exec("SELECT * FROM run_attempts WHERE run_id = ? ORDER BY attempt", runId)
      .toArray()
      .map((raw) => {
        const r = attemptRow.parse(raw);
        return {
          attempt: r.attempt,
          startedAt: r.started_at,
          finishedAt: r.finished_at,
          outcome: r.outcome,
          errorCode: r.error_code,
          errorMessage: r.error_message,
        };
      });
  }

  addDelivery(input: { id: string; runId: string; url: string; secret: string; payload: string; now: number }): void {
    this.sql.exec(
      "INSERT INTO deliveries (id, run_id, url, secret, payload, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
      input.id, input.runId, input.url, input.secret, input.payload, input.now, input.now,
    );
  }

  dueDeliveries(now: number): PendingDelivery[] {
    return this.sql
      .exec("SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY created_at", now)
      .toArray()
      .map((raw) => {
        const r = deliveryRow.parse(raw);
        return { id: r.id, runId: r.run_id, url: r.url, secret: r.secret, payload: r.payload, attempts: r.attempts };
      });
  }

  /** Records one delivery attempt and moves the delivery on: delivered, retry at `retryAt`, or failed. */
  recordDelivery(
    id: string,
    attempt: DeliveryAttempt,
    next: { status: "delivered" } | { status: "pending"; retryAt: number } | { status: "failed" },
  ): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO delivery_attempts (delivery_id, attempt, at, http_status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)",
      id, attempt.attempt, attempt.at, attempt.httpStatus, attempt.error, attempt.durationMs,
    );
    this.sql.exec(
      "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
      next.status, attempt.attempt, next.status === "pending" ? next.retryAt : null, attempt.error, id,
    );
  }

  deliveriesOf(runId: string): Delivery[] {
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
          url: r.url,
          status: r.status,
          attempts: r.attempts,
          nextAttemptAt: r.next_attempt_at,
          lastError: r.last_error,
          attemptLog: log,
        };
      });
  }

  /** Earliest moment anything here needs work, or null when idle. */
  nextWakeAt(runTimeoutMs: number): number | null {
    const row = this.sql
      .exec(
        `SELECT MIN(t) AS t FROM (
           SELECT next_attempt_at AS t FROM runs WHERE status IN ('queued', 'retrying')
           UNION ALL SELECT started_at + ? AS t FROM runs WHERE status = 'running'
           UNION ALL SELECT next_attempt_at AS t FROM deliveries WHERE status = 'pending')`,
        runTimeoutMs,
      )
      .one();
    return z.number().nullable().parse(row.t);
  }

  /** Keeps the newest `keep` finished runs (and their attempts and deliveries). */
  prune(keep: number): void {
    const old = this.sql
      .exec("SELECT id FROM runs WHERE status IN ('succeeded', 'failed') ORDER BY slot DESC LIMIT -1 OFFSET ?", keep)
      .toArray()
      .map((r) => z.string().parse(r.id));
    for (const id of old) {
      if (this.sql.exec("SELECT 1 FROM deliveries WHERE run_id = ? AND status = 'pending'", id).toArray().length > 0) continue;
      this.sql.exec("DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE run_id = ?)", id);
      this.sql.exec("DELETE FROM deliveries WHERE run_id = ?", id);
      this.sql.exec("DELETE FROM run_attempts WHERE run_id = ?", id);
      this.sql.exec("DELETE FROM runs WHERE id = ?", id);
    }
  }
}

function toRun(raw: Record<string, SqlStorageValue>): Run {
  const r = runRow.parse(raw);
  return {
    id: r.id,
    jobId: r.job_id,
    slot: r.slot,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    error: r.error_code !== null ? { code: r.error_code, message: r.error_message ?? "" } : null,
    digest: r.digest !== null ? parseStored(r.digest, digestSchema) : null,
    spec: parseStored(r.spec, jobSpecSchema),
    origin: r.origin,
  };
}

function parseStored<T>(text: string, schema: z.ZodType<T>): T {
  const json = safeParseJson(text);
  if (!json.ok) throw new Error(`stored JSON is unreadable: ${json.error}`);
  return schema.parse(json.value);
}
