/**
 * The worker's one cron trigger (`* * * * *`): each tick hands due digest jobs to their runners
 * (docs/jobs.md) and due recrawls to their site crawlers (docs/sites.md). The two dispatchers are
 * independent: one failing is logged and does not hold up the other.
 */
import type { Env } from "./env";
import { dispatchDueJobs } from "./jobs/scheduled";
import { createLogger, describeError } from "./log";
import { dispatchDueCrawls } from "./sites/scheduled";

export async function handleScheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  const results = await Promise.allSettled([dispatchDueJobs(env, controller.scheduledTime), dispatchDueCrawls(env, controller.scheduledTime)]);
  for (const result of results) {
    if (result.status === "rejected") createLogger(`cron-${controller.scheduledTime}`, "info").error("cron dispatch failed", describeError(result.reason));
  }
}
