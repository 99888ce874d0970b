/**
 * JobRegistry: a Durable Object (SQLite) that stores jobs' specs, owners, feed
 * tokens and scheduling cursors — one shard of the registry, holding the jobs of
 * the owners that hash to it (registry-shards.ts, through which callers reach
 * it). It answers the jobs API and tells the scheduled handler which jobs are
 * due; the runs themselves live in one JobRunner object per job (runner.ts), so
 * each shard stays small and fast.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../env";
import { jobSpecSchema, type JobSpec } from "./job-spec";
import { safeParseJSON } from "../../agent/json";
import { latestSlotAtOrBefore, nextSlot } from "./schedule";
import { randomHex, randomToken } from "../random-id";

export interface StoredJob {
  id: string;
  owner: string;
  spec: JobSpec;
  feedToken: string;
  /** Origin the job was created on: the base of local-corpus URLs when PUBLIC_URL is unset. */
  origin: string;
  createdAt: number;
  updatedAt: number;
  /** Next slot the scheduled handler should enqueue; null when disabled or never firing. */
  nextRunAt: number | null;
  /** Latest slot handed to the runner. */
  lastSlot: number | null;
}

export interface DueJob {
  id: string;
  spec: JobSpec;
  origin: string;
  slot: number;
}

export type CreateOutcome = { ok: true; job: StoredJob } | { ok: false; reason: "limit-reached" };

const rowSchema = z.object({
  id: z.string(),
  owner: z.string(),
  spec: z.string(),
  feed_token: z.string(),
  origin: z.string(),
  created_at: z.number(),
  updated_at: z.number(),
  next_run_at: z.number().nullable(),
  last_slot: z.number().nullable(),
});

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  spec TEXT NOT NULL,
  feed_token TEXT NOT NULL,
  origin TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  next_run_at INTEGER,
  last_slot INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs(owner, created_at);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs(enabled, next_run_at);
`;

export class JobRegistry extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
  }

  /** @param idPrefix `job_` and this shard's byte (registry-shards.ts), so the id names its shard. */
  createJob(owner: string, spec: JobSpec, origin: string, now: number, maxPerOwner: number, idPrefix: string): CreateOutcome {
    if (this.countJobs(owner) >= maxPerOwner) return { ok: false, reason: "limit-reached" };
    const id = `${idPrefix}${randomHex(11)}`;
    const next = spec.enabled ? nextSlot(spec.schedule, now) : null;
    this.sql.exec(
      "INSERT INTO jobs (id, owner, spec, feed_token, origin, enabled, created_at, updated_at, next_run_at, last_slot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
      id,
      owner,
      JSON.stringify(spec),
      randomToken(),
      origin,
      spec.enabled ? 1 : 0,
      now,
      now,
      next,
    );
    return { ok: true, job: this.mustGet(id) };
  }

  countJobs(owner: string): number {
    const count = this.sql.exec("SELECT COUNT(*) AS n FROM jobs WHERE owner = ?", owner).one().n;
    return typeof count === "number" ? count : 0;
  }

  /** `owner` null reads any job (feed-token and internal access). */
  getJob(owner: string | null, id: string): StoredJob | null {
    const rows = this.sql.exec("SELECT * FROM jobs WHERE id = ?", id).toArray();
    const job = rows[0] ? toJob(rows[0]) : null;
    if (!job || (owner !== null && job.owner !== owner)) return null;
    return job;
  }

  listJobs(owner: string): StoredJob[] {
    return this.sql.exec("SELECT * FROM jobs WHERE owner = ? ORDER BY created_at, id", owner).toArray().map(toJob);
  }

  /** Replaces the spec; a changed schedule or re-enabled job gets a fresh cursor from `now`. */
  updateJob(owner: string, id: string, spec: JobSpec, now: number): StoredJob | null {
    const current = this.getJob(owner, id);
    if (!current) return null;
    const from = Math.max(now, current.lastSlot ?? 0);
    const next = spec.enabled ? nextSlot(spec.schedule, from) : null;
    this.sql.exec(
      "UPDATE jobs SET spec = ?, enabled = ?, updated_at = ?, next_run_at = ? WHERE id = ?",
      JSON.stringify(spec),
      spec.enabled ? 1 : 0,
      now,
      next,
      id,
    );
    return this.mustGet(id);
  }

  rotateFeedToken(owner: string, id: string, now: number): StoredJob | null {
    if (!this.getJob(owner, id)) return null;
    this.sql.exec("UPDATE jobs SET feed_token = ?, updated_at = ? WHERE id = ?", randomToken(), now, id);
    return this.mustGet(id);
  }

  deleteJob(owner: string, id: string): boolean {
    if (!this.getJob(owner, id)) return false;
    this.sql.exec("DELETE FROM jobs WHERE id = ?", id);
    return true;
  }

  /**
   * Jobs whose next slot has come by `at`, each with the latest slot at or
   * before `at`. Read-only: the cursor moves in `markEnqueued`, after the
   * runner has accepted the run, so a crash in between repeats the hand-off
   * (which the runner deduplicates) instead of losing it.
   */
  dueJobs(at: number, limit: number): DueJob[] {
    const rows = this.sql
      .exec("SELECT * FROM jobs WHERE enabled = 1 AND next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at LIMIT ?", at, limit)
      .toArray()
      .map(toJob);
    const due: DueJob[] = [];
    for (const job of rows) {
      const slot = latestSlotAtOrBefore(job.spec.schedule, at);
      if (slot !== null && slot >= (job.nextRunAt ?? 0)) due.push({ id: job.id, spec: job.spec, origin: job.origin, slot });
    }
    return due;
  }

  markEnqueued(id: string, slot: number): void {
    const job = this.getJob(null, id);
    if (!job || (job.lastSlot !== null && job.lastSlot >= slot)) return;
    this.sql.exec("UPDATE jobs SET last_slot = ?, next_run_at = ? WHERE id = ?", slot, job.spec.enabled ? nextSlot(job.spec.schedule, slot) : null, id);
  }

  private mustGet(id: string): StoredJob {
    const job = this.getJob(null, id);
    if (!job) throw new Error(`job ${id} vanished during a write`);
    return job;
  }
}

function toJob(raw: Record<string, SqlStorageValue>): StoredJob {
  const row = rowSchema.parse(raw);
  const json = safeParseJSON(row.spec);
  if (!json.ok) throw new Error(`stored spec of ${row.id} is not JSON: ${json.error}`);
  return {
    id: row.id,
    owner: row.owner,
    spec: jobSpecSchema.parse(json.value),
    feedToken: row.feed_token,
    origin: row.origin,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    nextRunAt: row.next_run_at,
    lastSlot: row.last_slot,
  };
}
