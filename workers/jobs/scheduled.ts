/**
 * The cron trigger's handler: asks every registry shard (registry-shards.ts),
 * in parallel, which of its jobs are due at the trigger's scheduled time and
 * hands each (job, slot) to that job's JobRunner, which records the run and
 * does the work in its own alarm. Hand-offs run in parallel and are
 * independent: one failing runner (or shard) is logged and retried on the next
 * tick (a shard's cursor only moves after the runner accepted), and a repeated
 * tick for the same time finds the runs already recorded.
 */
import type { Env } from "../env";
import { configFromEnv } from "../config";
import { createLogger, describeError, type Logger } from "../log";
import type { DueJob } from "./registry";
import { allRegistries, type RegistryStub } from "./registry-shards";
import { runnerStub } from "./runner";

/** Most jobs one shard hands off per tick; the rest follow on the next tick. */
export const DUE_BATCH = 200;

export interface DispatchReport {
  shards: number;
  due: number;
  enqueued: number;
  duplicates: number;
  failed: number;
}

export async function dispatchDueJobs(env: Env, scheduledTime: number): Promise<DispatchReport> {
  const config = configFromEnv(env);
  const log = createLogger(`cron-${scheduledTime}`, config.ok ? config.value.logLevel : "info");
  const registries = allRegistries(env);
  const reports = await Promise.all(registries.map((registry) => dispatchShard(env, registry, scheduledTime, log)));
  const report: DispatchReport = { shards: registries.length, due: 0, enqueued: 0, duplicates: 0, failed: 0 };
  for (const shard of reports) {
    report.due += shard.due;
    report.enqueued += shard.enqueued;
    report.duplicates += shard.duplicates;
    report.failed += shard.failed;
  }
  if (report.due > 0 || report.failed > 0) log.info("jobs dispatched", { ...report, scheduledTime: new Date(scheduledTime).toISOString() });
  return report;
}

type ShardReport = Omit<DispatchReport, "shards">;

async function dispatchShard(env: Env, registry: RegistryStub, scheduledTime: number, log: Logger): Promise<ShardReport> {
  const report: ShardReport = { due: 0, enqueued: 0, duplicates: 0, failed: 0 };
  let due: DueJob[];
  try {
    due = await registry.dueJobs(scheduledTime, DUE_BATCH);
  } catch (error) {
    // One shard down must not stop the others; its jobs are due again on the next tick.
    log.error("registry shard unreachable", describeError(error));
    report.failed += 1;
    return report;
  }
  const outcomes = await Promise.allSettled(
    due.map(async (job) => {
      const { created } = await runnerStub(env, job.id).enqueue({ jobId: job.id, slot: job.slot, spec: job.spec, origin: job.origin });
      await registry.markEnqueued(job.id, job.slot);
      return created;
    }),
  );
  report.due = due.length;
  outcomes.forEach((outcome, i) => {
    if (outcome.status === "fulfilled") {
      if (outcome.value) report.enqueued += 1;
      else report.duplicates += 1;
      return;
    }
    report.failed += 1;
    log.error("job hand-off failed", { jobId: due[i]?.id, ...describeError(outcome.reason) });
  });
  return report;
}
