/**
 * The run tables of one JobRunner object: its runs (one per slot, which is
 * what makes enqueueing idempotent) and every attempt of each run. Plain data
 * in and out; rows are validated with zod on the way out. Webhook deliveries
 * live next to them in delivery-store.ts.
 */
import { z } from "zod";
import { jobSpecSchema, type JobSpec } from "./job-spec";
import { safeParseJSON } from "../../agent/json";

export const runStatuses = ["queued", "running", "retrying", "succeeded", "failed"] as const;
export type RunStatus = (typeof runStatuses)[number];

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

/** The digest fields a run keeps (and shows): a Digest or a stored digest, trimmed to exactly these. */
export function storedDigestOf(digest: StoredDigest): StoredDigest {
  return { title: digest.title, markdown: digest.markdown, body: digest.body, sources: digest.sources, cited: digest.cited, dropped: digest.dropped };
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

export class RunStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  /** Inserts the run for `slot` unless it exists: `created` tells which. */
  enqueue(input: { id: string; jobId: string; slot: number; spec: JobSpec; origin: string; now: number }): { run: Run; created: boolean } {
    const cursor = this.sql.exec(
      "INSERT INTO runs (id, job_id, slot, status, attempts, next_attempt_at, created_at, spec, origin) VALUES (?, ?, ?, 'queued', 0, ?, ?, ?, ?) ON CONFLICT(slot) DO NOTHING",
      input.id,
      input.jobId,
      input.slot,
      input.now,
      input.now,
      JSON.stringify(input.spec),
      input.origin,
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
        now,
        staleBefore,
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
      now,
      digest ? JSON.stringify(digest) : null,
      runId,
    );
    this.sql.exec("UPDATE run_attempts SET finished_at = ?, outcome = 'succeeded' WHERE run_id = ? AND attempt = ?", now, runId, attempt);
  }

  /** Records a failed attempt; `retryAt` null makes the failure final. */
  fail(runId: string, attempt: number, error: { code: string; message: string }, retryAt: number | null, now: number): void {
    this.sql.exec(
      "UPDATE run_attempts SET finished_at = ?, outcome = 'failed', error_code = ?, error_message = ? WHERE run_id = ? AND attempt = ?",
      now,
      error.code,
      error.message,
      runId,
      attempt,
    );
    this.sql.exec(
      "UPDATE runs SET status = ?, next_attempt_at = ?, finished_at = ?, error_code = ?, error_message = ? WHERE id = ?",
      retryAt === null ? "failed" : "retrying",
      retryAt,
      retryAt === null ? now : null,
      error.code,
      error.message,
      runId,
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
    return this.sql.exec("SELECT * FROM runs WHERE status = 'succeeded' AND digest IS NOT NULL ORDER BY slot DESC LIMIT ?", limit).toArray().map(toRun);
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

  /** Earliest moment a run needs work (a due attempt, or the deadline of one in progress), or null. */
  nextWakeAt(runningDeadlineMs: number): number | null {
    const row = this.sql
      .exec(
        `SELECT MIN(t) AS t FROM (
           SELECT next_attempt_at AS t FROM runs WHERE status IN ('queued', 'retrying')
           UNION ALL SELECT started_at + ? AS t FROM runs WHERE status = 'running')`,
        runningDeadlineMs,
      )
      .one();
    return z.number().nullable().parse(row.t);
  }

  /** Finished runs beyond the newest `keep`, oldest last. */
  finishedBeyond(keep: number): string[] {
    return this.sql
      .exec("SELECT id FROM runs WHERE status IN ('succeeded', 'failed') ORDER BY slot DESC LIMIT -1 OFFSET ?", keep)
      .toArray()
      .map((r) => z.string().parse(r.id));
  }

  delete(runId: string): void {
    this.sql.exec("DELETE FROM run_attempts WHERE run_id = ?", runId);
    this.sql.exec("DELETE FROM runs WHERE id = ?", runId);
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
  const json = safeParseJSON(text);
  if (!json.ok) throw new Error(`stored JSON is unreadable: ${json.error}`);
  return schema.parse(json.value);
}
