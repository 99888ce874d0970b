/**
 * Drain for rolling restarts. On SIGTERM the engine stops admitting: a new generation gets
 * `503 engine_draining` with Retry-After (a router retries it on another replica: nothing was
 * generated) and /health turns 503, so balancers and readiness probes move traffic away.
 * What is already queued or running goes on to its end; whatever is left at the deadline
 * ends with an `engine_draining` error, so every client hears how its request ended.
 */
import type { Engine } from "../engine/create-engine";
import { EngineError } from "../engine/engine-errors";

export interface DrainOutcome {
  /** True when everything held finished before the deadline. */
  finished: boolean;
  ms: number;
}

/**
 * @example
 *   process.once("SIGTERM", async () => { await drainEngine(engine, 30_000, log); server.close(); });
 */
export async function drainEngine(engine: Engine, deadlineMs: number, log: (line: string) => void): Promise<DrainOutcome> {
  const started = Date.now();
  const { scheduler } = engine;
  scheduler.stopAdmitting(new EngineError("engine_draining", "the engine is draining for a restart; retry on another replica", null, 1));
  const held = scheduler.queueDepth + scheduler.batchSize;
  log(`engine: draining (${held} request${held === 1 ? "" : "s"} held, deadline ${deadlineMs} ms)`);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"deadline">((resolve) => {
    timer = setTimeout(() => resolve("deadline"), deadlineMs);
  });
  const result = await Promise.race([scheduler.whenIdle().then(() => "idle" as const), deadline]);
  clearTimeout(timer);
  if (result === "deadline") {
    const left = scheduler.queueDepth + scheduler.batchSize;
    scheduler.cancelAll(new EngineError("engine_draining", `the engine restarted before this request finished (drain deadline ${deadlineMs} ms)`));
    log(`engine: drain deadline reached; ended ${left} unfinished request${left === 1 ? "" : "s"} with an error`);
    await scheduler.whenIdle();
  }
  const outcome = { finished: result === "idle", ms: Date.now() - started };
  log(`engine: drained in ${outcome.ms} ms`);
  return outcome;
}
