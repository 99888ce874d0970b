/**
 * What a JobRunner does when its alarm rings: execute the due runs (pipeline
 * call with a deadline, retry with exponential backoff, final failure with its
 * reason), then attempt the due webhook deliveries. Free of the Durable Object
 * class so tests can drive it with a fake pipeline against real DO SQLite.
 */
import { isAgentError } from "../../agent/errors";
import { isDigestError, type Digest } from "../../agent/digest";
import type { JobsConfig } from "../config";
import { backoffMs } from "./backoff";
import type { JobSpec } from "./job-spec";
import type { DeliveryStore, PendingDelivery } from "./delivery-store";
import { storedDigestOf, type Run, type RunStore } from "./run-store";
import { sendWebhook, type WebhookEvent } from "./webhook";

export interface PipelineInput {
  jobId: string;
  runId: string;
  spec: JobSpec;
  slot: number;
  /** Base of local-corpus URLs when PUBLIC_URL is unset. */
  origin: string;
  signal: AbortSignal;
}

/** Produces the digest of one run: research plus writing. Throws on failure. */
export type RunPipeline = (input: PipelineInput) => Promise<Digest>;

export interface ExecutorDeps {
  store: RunStore;
  deliveries: DeliveryStore;
  pipeline: RunPipeline;
  /** Sends webhook requests (global fetch, or the JOBS_EGRESS service). */
  send: (request: Request) => Promise<Response>;
  config: JobsConfig;
  now: () => number;
  newId: (prefix: string) => string;
  /** True once the job was deleted: stop before the next write. */
  isCancelled?: () => boolean;
}

/** Grace beyond the run timeout before a `running` run counts as interrupted. */
export const STALE_GRACE_MS = 60_000;

export async function processDue(deps: ExecutorDeps): Promise<void> {
  const cancelled = () => deps.isCancelled?.() === true;
  const now = deps.now();
  for (const run of deps.store.dueRuns(now, now - deps.config.runTimeoutMs - STALE_GRACE_MS)) {
    if (cancelled()) return;
    if (run.status === "running") recordInterrupted(deps, run);
    else await executeRun(deps, run, cancelled);
  }
  if (cancelled()) return;
  for (const delivery of deps.deliveries.due(deps.now())) {
    if (cancelled()) return;
    await attemptDelivery(deps, delivery, cancelled);
  }
  if (!cancelled()) prune(deps);
}

/** Earliest moment the runner has work, or null when idle. */
export function nextWakeAt(deps: Pick<ExecutorDeps, "store" | "deliveries" | "config">): number | null {
  const times = [deps.store.nextWakeAt(deps.config.runTimeoutMs + STALE_GRACE_MS), deps.deliveries.nextWakeAt()].filter((t): t is number => t !== null);
  return times.length === 0 ? null : Math.min(...times);
}

/** Keeps the newest `runsKept` finished runs; a run with a delivery still pending stays. */
function prune(deps: ExecutorDeps): void {
  for (const runId of deps.store.finishedBeyond(deps.config.runsKept)) {
    if (deps.deliveries.hasPending(runId)) continue;
    deps.deliveries.deleteForRun(runId);
    deps.store.delete(runId);
  }
}

async function executeRun(deps: ExecutorDeps, run: Run, cancelled: () => boolean): Promise<void> {
  const attempt = deps.store.startAttempt(run.id, deps.now());
  let digest: Digest;
  try {
    digest = await withDeadline(deps.config.runTimeoutMs, (signal) =>
      deps.pipeline({ jobId: run.jobId, runId: run.id, spec: run.spec, slot: run.slot, origin: run.origin, signal }),
    );
  } catch (err) {
    if (cancelled()) return;
    const failure = classify(err, deps.config.runTimeoutMs);
    const retry = failure.retryable && attempt < deps.config.runMaxAttempts;
    const retryAt = retry ? deps.now() + backoffMs(deps.config.runRetryBaseMs, attempt) : null;
    const error = { code: failure.code, message: failure.message };
    deps.store.fail(run.id, attempt, error, retryAt, deps.now());
    if (retryAt === null) announce(deps, run, "run.failed", { error });
    return;
  }
  if (cancelled()) return;
  const stored = storedDigestOf(digest);
  const finishedAt = deps.now();
  // No await between these writes: the DO commits them together.
  deps.store.succeed(run.id, attempt, run.spec.delivery.store ? stored : null, finishedAt);
  announce(deps, run, "digest.created", { digest: stored });
}

/** Queues a webhook delivery of `event` when the job has a webhook; it is sent by the same alarm. */
function announce(deps: ExecutorDeps, run: Run, event: WebhookEvent, body: Record<string, unknown>): void {
  const webhook = run.spec.delivery.webhook;
  if (!webhook) return;
  const now = deps.now();
  const deliveryId = deps.newId("dlv");
  const payload = JSON.stringify({
    type: event,
    deliveryId,
    job: { id: run.jobId, name: run.spec.name },
    run: { id: run.id, scheduledFor: new Date(run.slot).toISOString(), finishedAt: new Date(now).toISOString() },
    ...body,
  });
  deps.deliveries.add({ id: deliveryId, runId: run.id, url: webhook.url, secret: webhook.secret, event, payload, now });
}

function recordInterrupted(deps: ExecutorDeps, run: Run): void {
  const retry = run.attempts < deps.config.runMaxAttempts;
  const error = { code: "interrupted", message: "the run was interrupted (the object restarted before it finished)" };
  deps.store.fail(run.id, run.attempts, error, retry ? deps.now() : null, deps.now());
  if (!retry) announce(deps, run, "run.failed", { error });
}

async function attemptDelivery(deps: ExecutorDeps, delivery: PendingDelivery, cancelled: () => boolean): Promise<void> {
  const attempt = delivery.attempts + 1;
  const at = deps.now();
  const result = await sendWebhook({
    url: delivery.url,
    secret: delivery.secret,
    deliveryId: delivery.id,
    event: delivery.event,
    payload: delivery.payload,
    now: at,
    timeoutMs: deps.config.webhookTimeoutMs,
    fetch: deps.send,
  });
  if (cancelled()) return;
  const durationMs = deps.now() - at;
  if (result.ok) {
    deps.deliveries.record(delivery.id, { attempt, at, httpStatus: result.httpStatus, error: null, durationMs }, { status: "delivered" });
    return;
  }
  const retry = result.retryable && attempt < deps.config.webhookMaxAttempts;
  deps.deliveries.record(
    delivery.id,
    { attempt, at, httpStatus: result.httpStatus, error: result.error, durationMs },
    retry ? { status: "pending", retryAt: deps.now() + backoffMs(deps.config.webhookRetryBaseMs, attempt) } : { status: "failed" },
  );
}

interface Failure {
  code: string;
  message: string;
  retryable: boolean;
}

class DeadlineError extends Error {}

function classify(err: unknown, timeoutMs: number): Failure {
  if (err instanceof DeadlineError) return { code: "timeout", message: `the run did not finish within ${timeoutMs} ms`, retryable: true };
  if (isDigestError(err)) return { code: err.code, message: err.message, retryable: err.retryable };
  if (isAgentError(err)) return { code: err.code, message: err.message, retryable: err.retryable };
  const text = err instanceof Error ? err.message : String(err);
  return { code: "internal", message: `unexpected failure: ${text.slice(0, 300)}`, retryable: true };
}

async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new DeadlineError("deadline"));
      reject(new DeadlineError("deadline"));
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
