/**
 * The cron trigger's handler: asks the registry which jobs are due at the
 * trigger's scheduled time and hands each (job, slot) to that job's JobRunner,
 * which records the run and does the work in its own alarm. Hand-offs run in
 * parallel and are independent: one failing runner is logged and retried on
 * the next tick (the registry cursor only moves after the runner accepted),
 * and a repeated tick for the same time finds the runs already recorded.
 */
import type { Env } from "../env";
import { configFromEnv } from "../config";
import { createLogger, describeError } from "../log";
import { registryStub } from "./registry";
import { runnerStub } from "./runner";

/** Most jobs handed off per tick; the rest follow on the next tick. */
export const DUE_BATCH = 200;

export interface DispatchReport {
  due: number;
  enqueued: number;
  duplicates: number;
  failed: number;
}

export async function dispatchDueJobs(env: Env, scheduledTime: number): Promise<DispatchReport> {
  const config = configFromEnv(env);
  const log = createLogger(`cron-${scheduledTime}`, config.ok ? config.value.logLevel : "info");
  const registry = registryStub(env);
  const due = await registry.dueJobs(scheduledTime, DUE_BATCH);
  const outcomes = await Promise.allSettled(
    due.map(async (job) => {
      const { created } = await runnerStub(env, job.id).enqueue({ jobId: job.id, slot: job.slot, spec: job.spec, origin: job.origin });
      await registry.markEnqueued(job.id, job.slot);
      return created;
    }),
  );
  const report: DispatchReport = { due: due.length, enqueued: 0, duplicates: 0, failed: 0 };
  outcomes.forEach((outcome, i) => {
    if (outcome.status === "fulfilled") {
      if (outcome.value) report.enqueued += 1;
      else report.duplicates += 1;
      return;
    }
    report.failed += 1;
    log.error("job hand-off failed", { jobId: due[i]?.id, ...describeError(outcome.reason) });
  });
  if (report.due > 0) log.info("jobs dispatched", { ...report, scheduledTime: new Date(scheduledTime).toISOString() });
  return report;
}

/** The worker's `scheduled` export. */
export async function handleScheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  await dispatchDueJobs(env, controller.scheduledTime);
}
