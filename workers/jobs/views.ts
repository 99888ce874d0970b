/**
 * The JSON shapes the jobs API answers with, built from stored records in one
 * place: secrets are never shown (a webhook says only that its secret is set),
 * instants are ISO 8601 strings, and each job shows its next run times.
 */
import type { StoredJob } from "./registry";
import type { RunDetails } from "./runner";
import { storedDigestOf, type Run } from "./run-store";
import { nextRuns } from "./schedule";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function jobView(job: StoredJob, now: number, baseUrl: string) {
  const { spec } = job;
  return {
    id: job.id,
    name: spec.name,
    ...(spec.topic !== undefined ? { topic: spec.topic } : {}),
    ...(spec.queries !== undefined ? { queries: spec.queries } : {}),
    schedule: {
      cron: spec.schedule.cron,
      timezone: spec.schedule.timezone,
      nextRuns: spec.enabled ? nextRuns(spec.schedule, new Date(now), 3).map((d) => d.toISOString()) : [],
    },
    search: spec.search,
    digest: spec.digest,
    delivery: {
      store: spec.delivery.store,
      webhook: spec.delivery.webhook ? { url: spec.delivery.webhook.url, secretSet: true } : null,
    },
    enabled: spec.enabled,
    feedUrl: `${baseUrl}/api/jobs/${job.id}/feed.xml?token=${job.feedToken}`,
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
    lastScheduledFor: iso(job.lastSlot),
  };
}

export function runSummaryView(run: Run) {
  return {
    id: run.id,
    jobId: run.jobId,
    scheduledFor: iso(run.slot),
    status: run.status,
    attempts: run.attempts,
    nextAttemptAt: iso(run.nextAttemptAt),
    createdAt: iso(run.createdAt),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    error: run.error,
    digest: run.digest ? { title: run.digest.title, sources: run.digest.sources.length, cited: run.digest.cited } : null,
  };
}

export function runDetailsView(details: RunDetails) {
  return {
    ...runSummaryView(details.run),
    digest: details.run.digest ? digestView(details.run) : null,
    attemptLog: details.attempts.map((a) => ({
      attempt: a.attempt,
      startedAt: iso(a.startedAt),
      finishedAt: iso(a.finishedAt),
      outcome: a.outcome,
      error: a.errorCode !== null ? { code: a.errorCode, message: a.errorMessage ?? "" } : null,
    })),
    deliveries: details.deliveries.map((d) => ({
      id: d.id,
      kind: "webhook" as const,
      event: d.event,
      url: d.url,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: iso(d.nextAttemptAt),
      lastError: d.lastError,
      attemptLog: d.attemptLog.map((a) => ({ attempt: a.attempt, at: iso(a.at), httpStatus: a.httpStatus, error: a.error, durationMs: a.durationMs })),
    })),
  };
}

export function digestView(run: Run) {
  const digest = run.digest;
  if (!digest) return null;
  return {
    jobId: run.jobId,
    runId: run.id,
    scheduledFor: iso(run.slot),
    finishedAt: iso(run.finishedAt),
    ...storedDigestOf(digest),
  };
}
