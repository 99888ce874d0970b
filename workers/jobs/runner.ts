/**
 * JobRunner: one Durable Object per job (named by the job id) that owns the
 * job's runs. The scheduled handler hands it a (slot, spec) pair; the object
 * records the run (once per slot) and does the work in its own alarm, so a
 * slow or failing job never holds up the cron invocation or another job, and
 * each run gets a fresh invocation's limits. Retries and webhook deliveries are
 * further alarms.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { configFromEnv, type JobsConfig } from "../config";
import type { JobSpec } from "./job-spec";
import { createRunPipeline } from "./pipeline";
import { randomHex } from "../random-id";
import { DeliveryStore, type Delivery } from "./delivery-store";
import { nextWakeAt, processDue, STALE_GRACE_MS, type RunPipeline } from "./run-executor";
import { RunStore, type Run, type RunAttempt } from "./run-store";

export interface RunDetails {
  run: Run;
  attempts: RunAttempt[];
  deliveries: Delivery[];
}

export class JobRunner extends DurableObject<Env> {
  private readonly store: RunStore;
  private readonly deliveries: DeliveryStore;
  private readonly config: JobsConfig;
  /**
   * How a run produces its digest. Built from the bindings; a test may replace
   * it through `runInDurableObject` (e.g. the same pipeline with a fake engine).
   */
  pipeline: RunPipeline;
  /** Set by `destroy()`: an alarm already under way stops touching the (deleted) tables. */
  private destroyed = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new RunStore(ctx.storage.sql);
    this.deliveries = new DeliveryStore(ctx.storage.sql);
    const config = configFromEnv(env);
    // Requests reach this object only through routes that already refused a bad configuration.
    if (!config.ok) throw config.error;
    this.config = config.value.jobs;
    this.pipeline = createRunPipeline(env);
  }

  /** Records the run of `slot` (a no-op when it exists) and wakes the object to do it. */
  async enqueue(input: { jobId: string; slot: number; spec: JobSpec; origin: string }): Promise<{ runId: string; created: boolean; status: string }> {
    if (this.destroyed) return { runId: "", created: false, status: "cancelled" };
    const { run, created } = this.store.enqueue({ id: `run_${randomHex(10)}`, ...input, now: Date.now() });
    if (created) await this.scheduleWake();
    return { runId: run.id, created, status: run.status };
  }

  override async alarm(): Promise<void> {
    if (this.destroyed) return;
    // Watchdog first: if this invocation dies mid-run, the object wakes again and
    // records the run as interrupted instead of leaving it `running` for ever.
    await this.ctx.storage.setAlarm(Date.now() + this.config.runTimeoutMs + STALE_GRACE_MS);
    await processDue({
      isCancelled: () => this.destroyed,
      store: this.store,
      deliveries: this.deliveries,
      pipeline: this.pipeline,
      send: (request) => (this.env.JOBS_EGRESS ? this.env.JOBS_EGRESS.fetch(request) : fetch(request)),
      config: this.config,
      now: () => Date.now(),
      newId: (prefix) => `${prefix}_${randomHex(10)}`,
    });
    if (!this.destroyed) await this.scheduleWake();
  }

  listRuns(limit: number): Run[] {
    return this.store.listRuns(limit);
  }

  runDetails(runId: string): RunDetails | null {
    const run = this.store.getRun(runId);
    if (!run) return null;
    return { run, attempts: this.store.attempts(runId), deliveries: this.deliveries.ofRun(runId) };
  }

  /** Newest succeeded runs that kept their digest, newest first. */
  digests(limit: number): Run[] {
    return this.store.latestWithDigest(limit);
  }

  /** Forgets everything (the job was deleted). */
  async destroy(): Promise<void> {
    this.destroyed = true;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  private async scheduleWake(): Promise<void> {
    const at = nextWakeAt({ store: this.store, deliveries: this.deliveries, config: this.config });
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(at, Date.now()));
  }
}

export function runnerStub(env: Env, jobId: string): DurableObjectStub<JobRunner> {
  return env.JOB_RUNNER.get(env.JOB_RUNNER.idFromName(jobId));
}
